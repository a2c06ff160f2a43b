from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Cotalker domain"

    def ready(self) -> None:
        from events import receivers

        receivers.connect()
