"""REST API routes, mounted at /api/ (DESIGN §6)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from webhooks import api, api_docs

app_name = "api"

SUBSCRIPTION = "v3/webhook/subscription"

urlpatterns = [
    path(SUBSCRIPTION, api.SubscriptionListView.as_view(), name="subscription-list"),
    # "logs/..." before "<id>/...": a webhook id is an ObjectId, never "logs".
    path(f"{SUBSCRIPTION}/logs/<str:id>", api.SubscriptionLogsView.as_view(), name="subscription-logs"),
    path(
        f"{SUBSCRIPTION}/logs/<str:id>/<str:log_id>",
        api.SubscriptionLogDetailView.as_view(),
        name="subscription-log",
    ),
    path(
        f"{SUBSCRIPTION}/logs/<str:id>/<str:log_id>/redeliver",
        api.SubscriptionLogRedeliverView.as_view(),
        name="subscription-log-redeliver",
    ),
    path(f"{SUBSCRIPTION}/<str:id>", api.SubscriptionDetailView.as_view(), name="subscription-detail"),
    path(
        f"{SUBSCRIPTION}/<str:id>/activate",
        api.SubscriptionActivateView.as_view(),
        name="subscription-activate",
    ),
    path(
        f"{SUBSCRIPTION}/<str:id>/deactivate",
        api.SubscriptionDeactivateView.as_view(),
        name="subscription-deactivate",
    ),
    path(f"{SUBSCRIPTION}/<str:id>/test", api.SubscriptionTestView.as_view(), name="subscription-test"),
    path(f"{SUBSCRIPTION}/<str:id>/secret", api.SubscriptionSecretView.as_view(), name="subscription-secret"),
    path(
        f"{SUBSCRIPTION}/<str:id>/rotate-secret",
        api.SubscriptionRotateSecretView.as_view(),
        name="subscription-rotate-secret",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path("docs/", api_docs.ApiDocsView.as_view(), name="docs"),
]
