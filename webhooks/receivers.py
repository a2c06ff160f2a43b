from events.signals import event_emitted
from webhooks import services


def route_event(sender, event: dict, **kwargs) -> None:
    services.event_route(event=event)


def connect() -> None:
    event_emitted.connect(route_event, dispatch_uid="webhooks.route_event")
