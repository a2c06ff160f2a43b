from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from events import subscribers
        from webhooks import checks
        from webhooks.engine import clock, routing

        checks.register()

        # Capture asks the router which webhooks want each change and hands it the event.
        subscribers.subscribe(routing.router)
        post_spawn.connect(clock.clock_start, dispatch_uid="webhooks.clock")
        import webhooks.schedules  # noqa: F401  (connects post_migrate: prune schedule, cache table)
