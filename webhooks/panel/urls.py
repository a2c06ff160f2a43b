from django.urls import path

from webhooks.panel import account, demo, logs, operational, recovery, resume, send_test, views

app_name = "webhooks"

urlpatterns = [
    # The staff panel: Administrator -> AUTOMATIONS -> Webhooks.
    path("webhooks/", views.webhook_list, name="list"),
    path("webhooks/deactivate/", views.webhooks_deactivate, name="deactivate"),
    path("webhooks/new/", views.webhook_create, name="create"),
    path("webhooks/<str:pk>/", views.webhook_edit, name="edit"),
    path("webhooks/<str:pk>/active/", views.webhook_set_active, name="set_active"),
    path("webhooks/<str:pk>/resume/", resume.webhook_resume, name="resume"),
    path("webhooks/<str:pk>/charts/", views.webhook_charts, name="charts"),
    path("webhooks/<str:pk>/logs/", logs.webhook_logs, name="logs"),
    # Before "logs/<delivery_id>/", which would take "redeliver-failed" for a delivery id.
    path("webhooks/<str:pk>/logs/redeliver-failed/", recovery.logs_redeliver_failed, name="redeliver_failed"),
    path("webhooks/<str:pk>/logs/<str:delivery_id>/", logs.delivery_detail, name="delivery"),
    path(
        "webhooks/<str:pk>/logs/<str:delivery_id>/redeliver/",
        logs.delivery_redeliver,
        name="redeliver",
    ),
    path("webhooks/<str:pk>/test/", send_test.webhook_send_test, name="send_test"),
    path("webhooks/<str:pk>/secret/", views.webhook_secret, name="secret"),
    path("webhooks/<str:pk>/secret/rotate/", views.webhook_rotate_secret, name="rotate_secret"),
    # AUTOMATIONS -> Operational alerts: the company's alerts URL.
    path("alerts/", operational.alerts_settings, name="alerts"),
    # SECURITY -> API tokens, for the REST API; the administrator's time zone.
    path("security/api-token/", account.api_token, name="token"),
    path("security/api-token/<str:key>/revoke", account.api_token_revoke, name="token-revoke"),
    path("preferences/time-zone/", account.time_zone, name="time_zone"),
    # Development only (WEBHOOK_DEMO_RECEIVER).
    path("demo/receiver/", demo.demo_receiver, name="demo_receiver"),
]
