"""Thin signal receivers: every change of a tracked model becomes a COTEvent."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest

from events import services
from events.cot import KINDS
from events.models import Company, Task, User
from events.subscribers import Interests

TRACKED_M2M = (Task.followers.through, User.properties.through)


def before_save(
    sender: type[Model],
    instance: Model,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw:
        return
    # With update_fields the stored row may keep a company/context other than the
    # instance's unsaved attributes: ask who is interested after the save, from the row.
    interests = None if update_fields is not None else services.instance_interests(instance)
    # Kept on the instance for after_save, which pops them from its __dict__.
    instance.__dict__["_cot_interests"] = interests
    if interests and not instance._state.adding:  # an edit: only those that may want edits
        # Kept whole: a row deleted elsewhere meanwhile makes this save an insert, a create.
        edit_wanted = bool(services.interests_wanting(interests, services.EDIT))
        instance.__dict__["_cot_edit_wanted"] = edit_wanted
        if not edit_wanted:
            return  # no snapshot for an edit nobody wants
    if interests is None or interests:
        instance.__dict__["_cot_previous"] = services.stored_snapshot(instance)


def after_save(
    sender: type[Model],
    instance: Model,
    created: bool,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw:
        return
    previous = instance.__dict__.pop("_cot_previous", None)
    interests = instance.__dict__.pop("_cot_interests", None)
    edit_wanted = instance.__dict__.pop("_cot_edit_wanted", True)
    if interests is not None and not interests:
        return  # nobody wants events of this company, type and context
    if not created and not edit_wanted:
        return  # an edit, and nobody wants edits (before_save took no snapshot)
    event = services.CREATE if created else services.EDIT
    # A full save stored every attribute of the instance, so the instance, normalized as
    # the fields store it, describes the row without a re-read. With `update_fields` other
    # edited attributes stay unsaved: describe the row as stored.
    if update_fields is None:
        stored = services.saved_row(instance)
    else:
        stored = services.stored_row(instance) or instance
    services.object_event_emit(
        instance=stored, event=event, previous=previous, interests=interests, row_save=True
    )


def _company_deletion(origin: object) -> bool:
    """True when the delete cascades from deleting a whole company: its webhooks
    go with it, so no event is due (and none could be stored against it)."""
    return isinstance(origin, Company) or getattr(origin, "model", None) is Company


def before_delete(sender: type[Model], instance: Model, origin: object = None, **kwargs: Any) -> None:
    if _company_deletion(origin):
        return
    interests = services.instance_interests(instance)
    if interests:
        interests = services.interests_wanting(interests, services.DELETE)
    if interests:
        instance.__dict__["_cot_deleted"] = (services.cot_snapshot(instance), interests)


def after_delete(sender: type[Model], instance: Model, origin: object = None, **kwargs: Any) -> None:
    if "_cot_deleted" not in instance.__dict__:
        return  # a company deletion, or nobody wants the event
    previous, interests = instance.__dict__.pop("_cot_deleted")
    services.object_event_emit(
        instance=instance, event=services.DELETE, previous=previous, interests=interests
    )


def m2m_change(
    sender: type[Model],
    instance: Model,
    action: str,
    reverse: bool,
    model: type[Model],
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    if action.startswith("pre_"):
        owners = services.m2m_owners(
            instance=instance, through=sender, reverse=reverse, model=model, pk_set=pk_set
        )
        before: dict[Any, tuple[dict[str, Any], Interests]] = {}
        for owner in owners:
            interests = services.instance_interests(owner)
            if interests:
                interests = services.interests_wanting(interests, services.EDIT)
            if interests:
                before[owner.pk] = (services.cot_snapshot(owner), interests)
        instance.__dict__["_cot_m2m_before"] = before
        return
    before = instance.__dict__.pop("_cot_m2m_before", {})
    changed = [instance] if not reverse else list(model._default_manager.filter(pk__in=before))
    for owner in changed:
        if owner.pk in before:
            previous, interests = before[owner.pk]
            services.object_event_emit(
                instance=owner, event=services.EDIT, previous=previous, interests=interests
            )


def logged_out(sender: type[Model], request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    services.logout_emit(user=user)


def connect() -> None:
    for model in KINDS:
        uid = f"events.capture.{model.__name__}"
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}.post_save")
        pre_delete.connect(before_delete, sender=model, dispatch_uid=f"{uid}.pre_delete")
        post_delete.connect(after_delete, sender=model, dispatch_uid=f"{uid}.post_delete")
    for through in TRACKED_M2M:
        m2m_changed.connect(m2m_change, sender=through, dispatch_uid=f"events.m2m.{through.__name__}")
    user_logged_out.connect(logged_out, dispatch_uid="events.logout")
