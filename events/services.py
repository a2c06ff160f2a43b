"""Building COTEvents and announcing them to other apps.

Public entry points for code outside `events`:
- `object_event_emit()` for changes that bypass model signals
  (`QuerySet.update()`, `bulk_create()`, raw SQL);
- `event_emit()` for anything else that should reach webhooks.
"""

import time
from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils import timezone

from events.cot import KINDS, iso
from events.diff import changed_top_level_keys, json_diff
from events.models import User
from events.signals import event_emitted

CREATE, EDIT, DELETE, LOGOUT = "create", "edit", "delete", "logout"

# Receivers of `event_emitted` may declare, by their dotted name, a cheap
# predicate `(company_id=, type=, context=) -> bool` telling whether an event
# could matter to them. Capture asks before doing any work (snapshots,
# re-reads, serialization) and skips it when no receiver wants the event; a
# receiver without a predicate wants everything.
_interest: dict[str, Callable[..., bool]] = {}


def event_interest_register(receiver: str, predicate: Callable[..., bool]) -> None:
    """Declare which events the `event_emitted` receiver named `module.function` wants."""
    _interest[receiver] = predicate


def event_wanted(*, company_id: str | None, type: str, context: dict[str, Any] | None = None) -> bool:
    """Whether any receiver of `event_emitted` wants an event of this company, type and context
    (`context` holds the `data` keys that receivers filter on, e.g. `taskGroup`)."""
    if not company_id:
        return False
    try:
        sync_receivers, async_receivers = event_emitted._live_receivers(type)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - a Django API change
        return True
    for receiver in (*sync_receivers, *async_receivers):
        name = f"{getattr(receiver, '__module__', '')}.{getattr(receiver, '__qualname__', '')}"
        predicate = _interest.get(name)
        if predicate is None or predicate(company_id=company_id, type=type, context=context or {}):
            return True
    return False


def instance_wanted(instance: models.Model) -> bool:
    """Whether a change of this tracked instance could become an event anybody wants."""
    kind = KINDS[type(instance)]
    return event_wanted(company_id=kind.company_id(instance), type=kind.type, context=kind.context(instance))


def event_emit(
    *,
    company_id: str | None,
    type: str,
    event: str,
    data: dict[str, Any] | None,
    diff: dict[str, Any] | None = None,
    extra_data: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Announce a COTEvent; returns it, or None when it has no company to go to."""
    if not company_id:
        return None
    payload = {
        "company": company_id,
        "type": type,
        "event": event,
        "data": data,
        "diff": diff or {},
        "extraData": extra_data,
        "createdAt": iso(timezone.now()),
    }
    event_emitted.send(sender=type, event=payload)
    return payload


def cot_snapshot(instance: models.Model) -> dict[str, Any]:
    """The COT JSON of a tracked instance, to pass later as `previous`."""
    return KINDS[type(instance)].to_cot(instance)


def object_event_emit(
    *, instance: models.Model, event: str, previous: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Emit create/edit/delete for a tracked model instance.

    For `edit`, `previous` is `cot_snapshot()` taken before the change; no
    event is emitted when nothing but volatile keys (modifiedAt) changed.
    For `delete`, `previous` is the snapshot taken before the row went away.
    """
    kind = KINDS[type(instance)]
    if event == DELETE:
        data = previous if previous is not None else kind.to_cot(instance)
        return event_emit(company_id=kind.company_id(instance), type=kind.type, event=DELETE, data=data)
    after = kind.to_cot(instance)
    if event == CREATE or previous is None:
        return event_emit(company_id=kind.company_id(instance), type=kind.type, event=CREATE, data=after)
    diff = json_diff(previous, after)
    if not diff:
        return None
    data = after
    if isinstance(instance, User):
        # Cotalker sends only the edited fields of a user (plus its `_id`).
        data = {"_id": after["_id"], **{key: after[key] for key in changed_top_level_keys(diff)}}
    return event_emit(company_id=kind.company_id(instance), type=kind.type, event=EDIT, data=data, diff=diff)


def logout_emit(*, user: User | None) -> dict[str, Any] | None:
    if user is None or not user.pk:
        return None
    return event_emit(
        company_id=user.company_id,
        type="Auth",
        event=LOGOUT,
        data=None,
        extra_data={"userId": user.pk, "timestamp": int(time.time() * 1000)},
    )


def stored_row(instance: models.Model) -> models.Model | None:
    """A fresh copy of the instance's row as the database holds it, or None."""
    if instance.pk is None:
        return None
    return type(instance)._base_manager.using(instance._state.db).filter(pk=instance.pk).first()


def stored_snapshot(instance: models.Model) -> dict[str, Any] | None:
    """The COT JSON of the row as it is in the database now, before a save changes it."""
    if instance._state.adding or instance.pk is None:
        return None
    stored = stored_row(instance)
    return cot_snapshot(stored) if stored is not None else None


def m2m_owners(
    *, instance: models.Model, through: type[models.Model], reverse: bool, model, pk_set
) -> list[models.Model]:
    """The tracked objects whose many-to-many list an `m2m_changed` signal is about."""
    if not reverse:
        return [instance]
    if pk_set is not None:
        return list(model._default_manager.filter(pk__in=pk_set))
    # A reverse clear(): every owner currently linked to the instance.
    field = next(f for f in model._meta.many_to_many if f.remote_field.through is through)
    return list(model._default_manager.filter(**{field.name: instance}))
