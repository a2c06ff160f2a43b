"""Who stores COTEvents: the one path from a domain change to the rows that deliver it.

`events` never imports the apps that consume its events. Instead a consumer
hands `subscribe()` an object with two methods when it starts
(`webhooks.apps.WebhooksConfig.ready` subscribes `webhooks.engine.routing.router`):

- `interest(company_id=, type=, context=)` answers, with one cheap query,
  whether an event of this company, type and context (the `data` keys it
  filters on, such as `taskGroup`) matters to it, and if so what it needs to
  remember about that (for webhooks: a `routing.Interest`, the matching
  webhooks). A falsy answer means "not interested". An answer may say which
  `actions` its subscriber may want (events.services.interests_wanting()).
- `receive(event=, interest=)` stores the COTEvent, inside the transaction
  that made the change (an outbox): a rollback drops it, a commit keeps it.
  It gets back the `interest` answer, so it does not ask the same question
  twice.

Capture (`events.receivers` -> `events.services`) asks `interests()` before
any other work and does none (no snapshot, no re-read, no serialization)
when nobody is interested. The path is documented in docs/events.md.
"""

from typing import Any, Protocol


class Subscriber(Protocol):
    def interest(self, *, company_id: str, type: str, context: dict[str, Any]) -> Any: ...

    def receive(self, *, event: dict[str, Any], interest: Any) -> None: ...


# Each interested subscriber with its answer; empty when nobody wants the event.
Interests = list[tuple[Subscriber, Any]]

_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if not any(known is subscriber for known in _subscribers):
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    _subscribers[:] = [known for known in _subscribers if known is not subscriber]


def interests(*, company_id: str | None, type: str, context: dict[str, Any]) -> Interests:
    """Each subscriber that wants such an event, with its answer; empty when nobody does."""
    if not company_id:
        return []
    answers = []
    for subscriber in _subscribers:
        answer = subscriber.interest(company_id=company_id, type=type, context=context)
        if answer:
            answers.append((subscriber, answer))
    return answers


def deliver(*, event: dict[str, Any], interests: Interests) -> None:
    """Hand the event to the subscribers that wanted it (in the caller's transaction)."""
    for subscriber, answer in interests:
        subscriber.receive(event=event, interest=answer)
