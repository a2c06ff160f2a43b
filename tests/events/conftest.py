"""Capture the COTEvents that `events` stores, as a subscriber (events.subscribers) would."""

import json
import re
from datetime import UTC, datetime

import pytest

from events import subscribers

ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
COT_EVENT_KEYS = {"company", "type", "event", "data", "diff", "extraData", "createdAt"}


def ms_z(moment: datetime) -> str:
    """An independent spelling of Cotalker's date format, to compare payload dates against."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assert_created_at_now(event: dict, since: datetime) -> None:
    """`createdAt` is ISO-8601 UTC with milliseconds and Z, and not before `since`."""
    assert ISO_MS_Z.match(event["createdAt"]), event["createdAt"]
    moment = datetime.strptime(event["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert since.replace(microsecond=since.microsecond // 1000 * 1000) <= moment <= datetime.now(UTC)


class Sent(list):
    """A subscriber that wants every event: the COTEvents so far, each as a webhook would receive it."""

    def interest(self, *, company_id: str, type: str, context: dict) -> bool:
        return True

    def receive(self, *, event: dict, interest) -> None:
        assert interest is True
        assert set(event) == COT_EVENT_KEYS
        # A JSON round trip both copies the event and proves it serialises.
        self.append(json.loads(json.dumps(event)))

    def only(self) -> dict:
        assert len(self) == 1, [(e["type"], e["event"]) for e in self]
        return self[0]


@pytest.fixture
def sent():
    """Events emitted from the moment this fixture is set up (list it after data fixtures)."""
    recorder = Sent()
    subscribers.subscribe(recorder)
    yield recorder
    subscribers.unsubscribe(recorder)
