"""Building COTEvents and announcing them to other apps.

Public entry points for code outside `events`:
- `object_event_emit()` for changes that bypass model signals
  (`QuerySet.update()`, `bulk_create()`, raw SQL);
- `event_emit()` for anything else that should reach webhooks.
"""

import json
import time
from typing import Any

from django.db import connections, models, router
from django.db.models import OuterRef
from django.utils import timezone

from events import subscribers
from events.cot import KINDS, iso
from events.diff import changed_top_level_keys, json_diff
from events.models import User
from events.subscribers import Interests

CREATE, EDIT, DELETE, LOGOUT = "create", "edit", "delete", "logout"
ALL = frozenset({CREATE, EDIT, DELETE, LOGOUT})


def instance_interests(instance: models.Model) -> Interests:
    """Who wants events about this tracked instance (empty: capture does no more work)."""
    kind = KINDS[type(instance)]
    return subscribers.interests(
        company_id=kind.company_id(instance), type=kind.type, context=kind.context(instance)
    )


def interests_wanting(interests: Interests, action: str) -> Interests:
    """The answers that may want this action: an answer that says which `actions` its
    subscriber wants (events.subscribers) is dropped when it lacks this one, so that capture
    does no work (no snapshot) for a change nobody will store."""
    return [
        (subscriber, answer) for subscriber, answer in interests if action in getattr(answer, "actions", ALL)
    ]


def event_emit(
    *,
    company_id: str | None,
    type: str,
    event: str,
    data: dict[str, Any] | None,
    diff: dict[str, Any] | None = None,
    extra_data: dict[str, Any] | None = None,
    interests: Interests | None = None,
) -> dict[str, Any] | None:
    """Store a COTEvent with every subscriber that wants it; returns it, or None when nobody does.

    `interests` is what `instance_interests()` answered before the change; without
    it the subscribers are asked here, with `data` as the context.
    """
    if interests is None:
        interests = subscribers.interests(company_id=company_id, type=type, context=data or {})
    if not interests:
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
    subscribers.deliver(event=payload, interests=interests)
    return payload


def cot_snapshot(instance: models.Model) -> dict[str, Any]:
    """The COT JSON of a tracked instance, to pass later as `previous`."""
    return KINDS[type(instance)].to_cot(instance)


def object_event_emit(
    *,
    instance: models.Model,
    event: str,
    previous: dict[str, Any] | None = None,
    interests: Interests | None = None,
    row_save: bool = False,
) -> dict[str, Any] | None:
    """Emit create/edit/delete for a tracked model instance.

    For `edit`, `previous` is `cot_snapshot()` taken before the change; no
    event is emitted when nothing but volatile keys (modifiedAt) changed.
    For `delete`, `previous` is the snapshot taken before the row went away.
    `row_save`: the change was a save() of the row, which never changes its
    many-to-many lists, so they are taken from `previous` (or empty on create).
    """
    kind = KINDS[type(instance)]
    if interests is None:
        interests = instance_interests(instance)
    if not interests:
        return None
    emit: dict[str, Any] = {
        "company_id": kind.company_id(instance),
        "type": kind.type,
        "interests": interests,
    }
    if event == DELETE:
        data = previous if previous is not None else kind.to_cot(instance)
        return event_emit(**emit, event=DELETE, data=data)
    known = None
    if row_save:
        known = {key: previous[key] if previous else [] for key in kind.lists}
    # As the receiver will read it: a JSON round trip turns what the instance may hold
    # unsaved (a tuple in a JSON field) into what the database would give back.
    after = json.loads(json.dumps(kind.to_cot(instance, known)))
    if event == CREATE or previous is None:
        return event_emit(**emit, event=CREATE, data=after)
    diff = json_diff(previous, after)
    if not diff:
        return None
    data = after
    if isinstance(instance, User):
        # Cotalker sends only the edited fields of a user (plus its `_id`).
        data = {"_id": after["_id"], **{key: after[key] for key in changed_top_level_keys(diff)}}
    return event_emit(**emit, event=EDIT, data=data, diff=diff)


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


def saved_row(instance: models.Model) -> models.Model:
    """The row a full save() just stored, built from the instance without a query: each
    value as its field normalizes it (`"123"` for 123 in a text field, a datetime for a
    date), and no cached related object (they load fresh, as from a re-read)."""
    fields = instance._meta.concrete_fields
    values = [field.to_python(getattr(instance, field.attname)) for field in fields]
    return type(instance).from_db(instance._state.db, [field.attname for field in fields], values)


def stored_row(instance: models.Model) -> models.Model | None:
    """A fresh copy of the instance's row as the database holds it, or None."""
    if instance.pk is None:
        return None
    model = type(instance)
    alias = instance._state.db or router.db_for_read(model)
    # A slice, not first(): no ordering to add, one clone less (an edit's snapshot pays it).
    rows = list(model._base_manager.using(alias).filter(pk=instance.pk).order_by()[:1])
    return rows[0] if rows else None


def stored_snapshot(instance: models.Model) -> dict[str, Any] | None:
    """The COT JSON of the row as it is in the database now, before a save changes it."""
    if instance._state.adding or instance.pk is None:
        return None
    kind = KINDS[type(instance)]
    alias = instance._state.db or router.db_for_read(type(instance))
    if kind.lists and connections[alias].vendor == "postgresql":
        return _snapshot_with_lists(instance, alias, kind.lists)
    stored = stored_row(instance)
    return cot_snapshot(stored) if stored is not None else None


def _snapshot_with_lists(instance: models.Model, alias: str, lists: tuple[str, ...]) -> dict[str, Any] | None:
    """`stored_snapshot()` in one round trip on PostgreSQL: the row with each many-to-many
    list as an `ARRAY(SELECT ...)` of its link table (an edit's snapshot is one of the
    statements every wanted edit pays; docs/performance.md)."""
    model = type(instance)

    from django.contrib.postgres.expressions import ArraySubquery  # PostgreSQL only

    arrays = {}
    for key in lists:
        field = model._meta.get_field(key)
        # `lists` name many-to-many fields, whose link model Django has set up by now.
        assert isinstance(field, models.ManyToManyField) and field.remote_field.through is not None
        links = field.remote_field.through._default_manager.filter(
            **{field.m2m_field_name(): OuterRef("pk")}
        ).values(f"{field.m2m_reverse_field_name()}_id")
        arrays[f"cot_{key}"] = ArraySubquery(links)
    rows = list(model._base_manager.using(alias).filter(pk=instance.pk).order_by().annotate(**arrays)[:1])
    if not rows:
        return None
    stored = rows[0]
    known = {key: sorted(str(pk) for pk in getattr(stored, f"cot_{key}")) for key in lists}
    return KINDS[model].to_cot(stored, known)


def m2m_owners(
    *,
    instance: models.Model,
    through: type[models.Model],
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
) -> list[models.Model]:
    """The tracked objects whose many-to-many list an `m2m_changed` signal is about."""
    if not reverse:
        return [instance]
    if pk_set is not None:
        return list(model._default_manager.filter(pk__in=pk_set))
    # A reverse clear(): every owner currently linked to the instance.
    field = next(f for f in model._meta.many_to_many if f.remote_field.through is through)
    return list(model._default_manager.filter(**{field.name: instance}))
