import functools

from django.apps import AppConfig


def _context_deleted(field: str, sender, instance, **kwargs) -> None:
    from webhooks import services

    services.webhooks_orphan(field=field, target=instance)


def _routes_version_install(sender, using: str, **kwargs) -> None:
    from webhooks.engine import routes

    routes.sqlite_version_install(using=using)


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete
        from django_q.signals import post_spawn

        from events import subscribers
        from events.models import Group, Survey, Workflow
        from webhooks import alerts, checks
        from webhooks.alert_signals import webhook_alert
        from webhooks.engine import clock, dispatcher, routes, routing
        from webhooks.models import Webhook
        from webhooks.panel.middleware import user_language_signed_in

        checks.register()

        # Capture asks the router which webhooks want each change and hands it the event.
        subscribers.subscribe(routing.router)
        # PostgreSQL: a webhook written in this thread's open transaction is not notified yet.
        post_save.connect(routes.webhook_written, sender=Webhook, dispatch_uid="webhooks.routes.save")
        post_delete.connect(routes.webhook_written, sender=Webhook, dispatch_uid="webhooks.routes.delete")
        # SQLite: the triggers behind the route table's version (a table rebuild drops them).
        post_migrate.connect(_routes_version_install, sender=self, dispatch_uid="webhooks.routes.sqlite")
        # Deleting a webhook's workflow, survey or group deactivates it, with the reason.
        for field, model in (("workflow", Workflow), ("survey", Survey), ("group", Group)):
            pre_delete.connect(
                functools.partial(_context_deleted, field),
                sender=model,
                dispatch_uid=f"webhooks.orphan.{field}",
                weak=False,
            )
        # A webhook's health changed: its administrators are told, by email and operational webhook.
        webhook_alert.connect(alerts.webhook_alert_received, dispatch_uid="webhooks.alerts")
        # Alert emails are written in the language each administrator signed in with or chose.
        user_logged_in.connect(user_language_signed_in, dispatch_uid="webhooks.user_language")
        post_spawn.connect(clock.clock_start, dispatch_uid="webhooks.clock")
        post_spawn.connect(dispatcher.dispatcher_spawned, dispatch_uid="webhooks.dispatcher")
        # PostgreSQL: the engine's database threads prepare their statements; nothing else does.
        connection_created.connect(dispatcher.database_connection_created, dispatch_uid="webhooks.prepared")
        import webhooks.schedules  # noqa: F401  (connects post_migrate: prune schedule, cache table)
