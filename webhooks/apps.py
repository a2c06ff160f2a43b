from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from webhooks import clock, receivers

        receivers.connect()
        post_spawn.connect(clock.clock_start, dispatch_uid="webhooks.clock")
        import webhooks.schedules  # noqa: F401  (connects post_migrate: prune schedule, cache table)
