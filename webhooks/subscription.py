"""What a webhook subscribes to: some actions, and for edits some fields (docs/delivery.md,
"Send only what matters").

A webhook's `events` is a non-empty subset of create/edit/delete (all by default) and its
`fields` a list of JSON pointers of its trigger's COT shape (empty: any). A change reaches it
when its action is in `events` and, for an edit, `fields` is empty or one of the diff's paths
is a chosen path or lies under one (`/name` chosen: a `/name/displayName` edit), or a chosen path
lies under an object the diff names whole and its value differs. A logout is
always sent: the logout trigger has no other action, and `events` does not apply to it.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from events.cot import FIELD_PATHS, OPEN_PATHS

CREATE, EDIT, DELETE = "create", "edit", "delete"
ACTIONS = (CREATE, EDIT, DELETE)
FIELDS_MAX = 50
POINTER = re.compile(r"(/([^~/]|~[01])*)+")  # RFC 6901, not the whole document ("")

EVENTS_EMPTY = _("Choose at least one action.")
EVENT_INVALID = _("“%(value)s” is not an action: choose among create, edit and delete.")
FIELDS_WITHOUT_EDIT = _("Fields apply to edits only: send edits too, or choose no field.")
FIELD_NOT_POINTER = _("“%(value)s” is not a JSON pointer such as /status.")
FIELD_UNKNOWN = _("“%(value)s” is not a field of this trigger's events.")
FIELDS_TOO_MANY = _("At most %(max)s fields.")


def default_events() -> list[str]:
    """Every action (the model's default, so each webhook gets its own list)."""
    return list(ACTIONS)


def trigger_paths(event_type: str | None) -> tuple[str, ...]:
    """The JSON pointers an edit of this event type can name (none for a logout)."""
    return FIELD_PATHS.get(event_type or "", ())


def path_is_known(event_type: str | None, path: str) -> bool:
    if path in trigger_paths(event_type):
        return True
    return any(path.startswith(f"{open_path}/") for open_path in OPEN_PATHS.get(event_type or "", ()))


def events_normalized(events: Any) -> list[str]:
    """The actions in their canonical order, each once; ValidationError when empty or unknown."""
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError(EVENTS_EMPTY, code="required")
    errors = [
        ValidationError(EVENT_INVALID, code="invalid", params={"value": str(value)[:40]})
        for value in events
        if value not in ACTIONS
    ]
    if errors:
        raise ValidationError(errors)
    return [action for action in ACTIONS if action in events]


def fields_normalized(fields: Any, *, event_type: str | None, events: list[str]) -> list[str]:
    """The chosen paths, sorted, each once; ValidationError naming each bad one."""
    if not isinstance(fields, list | tuple):
        raise ValidationError(FIELD_NOT_POINTER, code="invalid", params={"value": str(fields)[:40]})
    if len(fields) > FIELDS_MAX:
        raise ValidationError(FIELDS_TOO_MANY, code="max", params={"max": FIELDS_MAX})
    errors = []
    for path in fields:
        if not isinstance(path, str) or not POINTER.fullmatch(path):
            errors.append(
                ValidationError(FIELD_NOT_POINTER, code="invalid", params={"value": str(path)[:80]})
            )
        elif not path_is_known(event_type, path):
            errors.append(ValidationError(FIELD_UNKNOWN, code="unknown", params={"value": path[:80]}))
    if errors:
        raise ValidationError(errors)
    if fields and EDIT not in events:
        raise ValidationError(FIELDS_WITHOUT_EDIT, code="without_edit")
    return sorted(set(fields))


def wants_everything(events: list[str], fields: list[str]) -> bool:
    # Each action by name, not a count: a list written without clean() may repeat one.
    return not fields and all(action in events for action in ACTIONS)


def _changed_below(path: str, before: Any, after: Any) -> list[str]:
    """The paths under `path` whose value differs. The diff names an object that appears,
    goes or is replaced by another type as one leaf (`/avatar` from null to an object):
    a webhook that chose `/avatar/small` wants that edit too."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changed = []
    for key in before.keys() | after.keys():
        if before.get(key, _ABSENT) != after.get(key, _ABSENT):
            below = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            changed += [below, *_changed_below(below, before.get(key), after.get(key))]
    return changed


_ABSENT = object()


def diff_prefixes(diff: dict[str, Any] | None) -> set[str]:
    """Every changed path (the diff's, and those under an object it names whole) and each
    path above it: a chosen path in this set matches the edit."""
    prefixes: set[str] = set()
    for path, change in (diff or {}).items():
        if isinstance(change, dict):
            below = _changed_below(path, change.get("previous"), change.get("changedTo"))
        else:
            below = []
        for changed in (path, *below):
            parts = changed.split("/")
            prefixes.update("/".join(parts[:end]) for end in range(2, len(parts) + 1))
    return prefixes


def wants(events: list[str], fields: list[str], *, action: str, prefixes: set[str]) -> bool:
    """Whether a webhook with these `events` and `fields` wants a change (`prefixes`: the
    edit's `diff_prefixes()`). Actions other than create/edit/delete (a logout) always pass."""
    if action not in ACTIONS:
        return True
    if action not in events:
        return False
    return action != EDIT or not fields or not prefixes.isdisjoint(fields)
