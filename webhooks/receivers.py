from events.services import event_interest_register
from events.signals import event_emitted
from webhooks import services


def route_event(sender, event: dict, **kwargs) -> None:
    services.event_route(event=event)


def connect() -> None:
    event_emitted.connect(route_event, dispatch_uid="webhooks.route_event")
    # Capture skips all work for changes that no active webhook could want.
    event_interest_register(f"{__name__}.{route_event.__qualname__}", services.webhooks_want)
