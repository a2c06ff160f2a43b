"""Each domain model in its Cotalker COT* JSON shape.

camelCase keys, `_id`, ObjectId strings, ISO-8601 UTC dates with
milliseconds and `Z`. Never a password hash.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events.models import Element, Note, SurveyAnswer, Task, User


def iso(moment: datetime | str | None) -> str | None:
    """`YYYY-MM-DDTHH:mm:ss.SSSZ` in UTC. Accepts what an unsaved model field may
    hold: an ISO string, or a naive datetime (read in the current time zone, as
    Django stores it)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        parsed = parse_datetime(moment)
        if parsed is None:
            raise ValueError(f"Not an ISO-8601 date-time: {moment!r}")
        moment = parsed
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# `manager`: a many-to-many related manager, whose source_field_name, target_field_name and
# instance django-stubs does not declare.
def _ids(manager: Any, known: dict[str, list[str]] | None, key: str) -> list[str]:
    """A many-to-many list: from `known` when the caller already has it, else one query
    on the link table."""
    if known is not None and key in known:
        return known[key]
    through, source, target = manager.through, manager.source_field_name, manager.target_field_name
    links = through._default_manager.using(manager.db).filter(**{f"{source}_id": manager.instance.pk})
    return sorted(str(pk) for pk in links.values_list(f"{target}_id", flat=True))


def user_to_cot(user: User, known: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "_id": user.pk,
        "email": user.email,
        "name": {
            "displayName": user.display_name,
            "names": user.names,
            "lastName": user.last_name,
            "secondLastName": user.second_last_name,
        },
        "jobTitle": user.job_title,
        "phone": user.phone,
        "avatar": {"small": user.avatar, "square": user.avatar, "original": user.avatar},
        "properties": _ids(user.properties, known, "properties"),
        "companies": [{"companyId": user.company_id}] if user.company_id else [],
        "isActive": user.is_active,
        "createdAt": iso(user.created_at),
        "modifiedAt": iso(user.modified_at),
    }


def task_to_cot(task: Task, known: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "_id": task.pk,
        "company": task.company_id,
        "taskGroup": task.workflow_id,
        "name": task.name,
        "info": task.info,
        "serial": task.serial,
        "owner": "manual",
        "assignee": task.assignee_id,
        "createdBy": task.created_by_id,
        "followers": _ids(task.followers, known, "followers"),
        "status": task.status_id,
        "startDate": iso(task.start_date),
        "endDate": iso(task.end_date),
        "closedAt": iso(task.closed_at),
        "isActive": task.is_active,
        "createdAt": iso(task.created_at),
        "modifiedAt": iso(task.modified_at),
    }


def survey_answer_to_cot(answer: SurveyAnswer, known: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "_id": answer.pk,
        "surveyId": answer.survey_id,
        "group": answer.group_id,
        "answeredBy": answer.answered_by_id,
        "surveyData": answer.answers,
        "createdAt": iso(answer.created_at),
        "modifiedAt": iso(answer.modified_at),
    }


def element_to_cot(element: Element, known: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "_id": element.pk,
        "company": element.company_id,
        "name": {"code": element.code, "display": element.display},
        "propertyType": element.collection.code,
        "schemaInstance": element.schema_instance,
        "subproperty": [],
        "isActive": element.is_active,
        "createdAt": iso(element.created_at),
        "modifiedAt": iso(element.modified_at),
    }


def note_to_cot(note: Note, known: dict[str, list[str]] | None = None) -> dict[str, Any]:
    context = {"task": {"taskId": note.task_id, "taskGroupId": note.task.workflow_id}} if note.task else {}
    return {
        "_id": note.pk,
        "company": note.company_id,
        "title": note.title,
        "description": note.description,
        "content": note.content,
        "createdBy": note.created_by_id,
        "context": context,
        "isActive": note.is_active,
        "createdAt": iso(note.created_at),
        "modifiedAt": iso(note.modified_at),
    }


@dataclass(frozen=True)
class CotKind:
    """How one domain model becomes events: its COT `type` and its JSON shape."""

    type: str
    # `to_cot(instance, known)`: `known` may give many-to-many lists the caller already has.
    to_cot: Callable[..., dict[str, Any]]
    company_id: Callable[[Any], str | None]
    # The `data` keys receivers filter on (webhook context), read without a query.
    context: Callable[[Any], dict[str, Any]] = lambda instance: {}
    # The `data` keys that are many-to-many lists (a row's save() never changes them).
    lists: tuple[str, ...] = ()


KINDS: dict[type[models.Model], CotKind] = {
    User: CotKind("COTUser", user_to_cot, lambda user: user.company_id, lists=("properties",)),
    Task: CotKind(
        "COTTask",
        task_to_cot,
        lambda task: task.company_id,
        lambda task: {"taskGroup": task.workflow_id},
        lists=("followers",),
    ),
    SurveyAnswer: CotKind(
        "COTSurvey",
        survey_answer_to_cot,
        lambda answer: answer.company_id,
        lambda answer: {"surveyId": answer.survey_id, "group": answer.group_id},
    ),
    Element: CotKind("COTProperty", element_to_cot, lambda element: element.company_id),
    Note: CotKind("COTNote", note_to_cot, lambda note: note.company_id),
}


# The JSON pointers of each type's `data` that an edit's `diff` can name, for webhooks that want
# edits of some fields only (docs/events.md). Objects are listed with their leaves (choosing
# `/name` means any of them); lists (`/followers`) change as a whole. `_id`, `createdAt` and
# `modifiedAt` never make an edit. Free-form objects (`OPEN_PATHS`) may be named below too.
FIELD_PATHS: dict[str, tuple[str, ...]] = {
    "COTUser": (
        "/email",
        "/name",
        "/name/displayName",
        "/name/names",
        "/name/lastName",
        "/name/secondLastName",
        "/jobTitle",
        "/phone",
        "/avatar",
        "/avatar/small",
        "/avatar/square",
        "/avatar/original",
        "/properties",
        "/companies",
        "/isActive",
    ),
    "COTTask": (
        "/company",
        "/taskGroup",
        "/name",
        "/info",
        "/serial",
        "/owner",
        "/assignee",
        "/createdBy",
        "/followers",
        "/status",
        "/startDate",
        "/endDate",
        "/closedAt",
        "/isActive",
    ),
    "COTSurvey": ("/surveyId", "/group", "/answeredBy", "/surveyData"),
    "COTProperty": (
        "/company",
        "/name",
        "/name/code",
        "/name/display",
        "/propertyType",
        "/schemaInstance",
        "/subproperty",
        "/isActive",
    ),
    "COTNote": (
        "/company",
        "/title",
        "/description",
        "/content",
        "/createdBy",
        "/context",
        "/context/task",
        "/context/task/taskId",
        "/context/task/taskGroupId",
        "/isActive",
    ),
}
# Objects whose keys are the customer's own (an element's schema instance): any path below them.
OPEN_PATHS: dict[str, tuple[str, ...]] = {"COTProperty": ("/schemaInstance",)}
