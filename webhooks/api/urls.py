"""REST API routes, mounted at /api/ (docs/api.md)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from webhooks.api import alerts, docs, logs, views

app_name = "api"

SUBSCRIPTION = "v3/webhook/subscription"

urlpatterns = [
    path(SUBSCRIPTION, views.SubscriptionListView.as_view(), name="subscription-list"),
    # "logs/..." before "<id>/...": a webhook id is an ObjectId, never "logs".
    path(f"{SUBSCRIPTION}/logs/<str:id>", logs.SubscriptionLogsView.as_view(), name="subscription-logs"),
    # Before "logs/<id>/<log_id>", which would take "redeliver-failed" for a log id.
    path(
        f"{SUBSCRIPTION}/logs/<str:id>/redeliver-failed",
        logs.SubscriptionLogsRedeliverFailedView.as_view(),
        name="subscription-logs-redeliver-failed",
    ),
    path(
        f"{SUBSCRIPTION}/logs/<str:id>/<str:log_id>",
        logs.SubscriptionLogDetailView.as_view(),
        name="subscription-log",
    ),
    path(
        f"{SUBSCRIPTION}/logs/<str:id>/<str:log_id>/redeliver",
        logs.SubscriptionLogRedeliverView.as_view(),
        name="subscription-log-redeliver",
    ),
    path(f"{SUBSCRIPTION}/<str:id>", views.SubscriptionDetailView.as_view(), name="subscription-detail"),
    path(
        f"{SUBSCRIPTION}/<str:id>/activate",
        views.SubscriptionActivateView.as_view(),
        name="subscription-activate",
    ),
    path(
        f"{SUBSCRIPTION}/<str:id>/deactivate",
        views.SubscriptionDeactivateView.as_view(),
        name="subscription-deactivate",
    ),
    path(
        f"{SUBSCRIPTION}/<str:id>/resume",
        views.SubscriptionResumeView.as_view(),
        name="subscription-resume",
    ),
    path(f"{SUBSCRIPTION}/<str:id>/test", views.SubscriptionTestView.as_view(), name="subscription-test"),
    path(
        f"{SUBSCRIPTION}/<str:id>/secret",
        views.SubscriptionSecretView.as_view(),
        name="subscription-secret",
    ),
    path(
        f"{SUBSCRIPTION}/<str:id>/rotate-secret",
        views.SubscriptionRotateSecretView.as_view(),
        name="subscription-rotate-secret",
    ),
    # The company's operational webhook (alerts about its webhooks' health).
    path("v3/webhook/alerts", alerts.AlertsView.as_view(), name="alerts"),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path("docs/", docs.ApiDocsView.as_view(), name="docs"),
    # Last: anything else under /api/ (a trailing slash, a typo) is a JSON 404, not an HTML page.
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),
]
