"""A tracked change and its event commit together or not at all, even when the database
connection is lost between them: never a committed change that no webhook hears about.

Each test cuts the session's PostgreSQL connection (`pg_terminate_backend` from a second
session) right after the tracked model's own INSERT, UPDATE or DELETE, then looks from that
second session: either the change is not in the database, or it is there with its Event and
Delivery. Callers change the models both inside `atomic()` and in autocommit (scripts,
management commands and DRF views run without one).
"""

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import Error, connection, transaction

from events.ids import new_object_id
from events.models import Element, Note, SurveyAnswer, Task, User
from tests import pg_faults
from webhooks.models import Delivery, Event, Trigger, Webhook

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="cuts a PostgreSQL session: covered by CI's PostgreSQL run"
    ),
    pytest.mark.django_db(transaction=True),
]


@dataclass(frozen=True)
class Objects:
    """The tracked objects the changes work on, committed before any webhook exists: `user`
    follows `task` and holds `element`, `newcomer` and `spare` are linked to nothing; `new_id` is
    the id a created object gets."""

    user: User
    task: Task
    answer: SurveyAnswer
    element: Element
    note: Note
    newcomer: User
    spare: Element
    new_id: str


@dataclass(frozen=True)
class Change:
    """One tracked change: the table whose own statement the connection is cut after, the
    action its event carries, the change itself, the id of the object its event is about, and
    whether the change is in the database (`applied(cursor, objects, subject id)`, read on the
    second session)."""

    name: str
    table: str
    action: str
    make: Callable[[Objects], None]
    subject: Callable[[Objects], str]
    applied: Callable[[Any, Objects, str], bool]


def row_exists(cursor, model, pk: str) -> bool:
    cursor.execute(f'SELECT 1 FROM "{model._meta.db_table}" WHERE id = %s', [pk])
    return cursor.fetchone() is not None


def creation(kind: str, model, create: Callable[[Objects], None]) -> Change:
    return Change(
        name=f"{kind}-create",
        table=model._meta.db_table,
        action="create",
        make=create,
        subject=lambda objects: objects.new_id,
        applied=lambda cursor, objects, pk: row_exists(cursor, model, pk),
    )


def edition(kind: str, model, attribute: str, value: Any) -> Change:
    def make(objects: Objects) -> None:
        instance = getattr(objects, kind)
        setattr(instance, attribute, value)
        instance.save()

    def applied(cursor, objects: Objects, pk: str) -> bool:
        column = model._meta.get_field(attribute).column
        cursor.execute(f'SELECT "{column}" FROM "{model._meta.db_table}" WHERE id = %s', [pk])
        return cursor.fetchone() == (value,)

    return Change(
        name=f"{kind}-edit",
        table=model._meta.db_table,
        action="edit",
        make=make,
        subject=lambda objects: getattr(objects, kind).pk,
        applied=applied,
    )


def deletion(kind: str, model) -> Change:
    return Change(
        name=f"{kind}-delete",
        table=model._meta.db_table,
        action="delete",
        make=lambda objects: getattr(objects, kind).delete(),
        subject=lambda objects: getattr(objects, kind).pk,
        applied=lambda cursor, objects, pk: not row_exists(cursor, model, pk),
    )


def link_change(owner_kind: str, field_name: str, target_kind: str, *, add: bool) -> Change:
    """`owner.<field>.add(target)` (or `remove`): an edit of the owner."""
    field = KIND_MODELS[owner_kind]._meta.get_field(field_name)
    through = field.remote_field.through

    def make(objects: Objects) -> None:
        manager = getattr(getattr(objects, owner_kind), field_name)
        target = getattr(objects, target_kind)
        manager.add(target) if add else manager.remove(target)

    def applied(cursor, objects: Objects, owner: str) -> bool:
        target = getattr(objects, target_kind).pk
        cursor.execute(
            f'SELECT 1 FROM "{through._meta.db_table}"'
            f' WHERE "{field.m2m_column_name()}" = %s AND "{field.m2m_reverse_name()}" = %s',
            [owner, target],
        )
        return (cursor.fetchone() is not None) == add

    return Change(
        name=f"{owner_kind}-{field_name}-{'add' if add else 'remove'}",
        table=through._meta.db_table,
        action="edit",
        make=make,
        subject=lambda objects: getattr(objects, owner_kind).pk,
        applied=applied,
    )


KIND_MODELS = {"user": User, "task": Task, "answer": SurveyAnswer, "element": Element, "note": Note}


def create_user(objects: Objects) -> None:
    User.objects.create_user("created@example.com", id=objects.new_id, company=objects.user.company)


def create_task(objects: Objects) -> None:
    task = objects.task
    Task.objects.create(id=objects.new_id, company=task.company, workflow=task.workflow, name="Created")


def create_answer(objects: Objects) -> None:
    answer = objects.answer
    SurveyAnswer.objects.create(
        id=objects.new_id, company=answer.company, survey=answer.survey, group=answer.group, answers=[1]
    )


def create_element(objects: Objects) -> None:
    element = objects.element
    Element.objects.create(
        id=objects.new_id, company=element.company, collection=element.collection, code="new", display="New"
    )


def create_note(objects: Objects) -> None:
    Note.objects.create(id=objects.new_id, company=objects.note.company, title="Created")


CHANGES = [
    creation("user", User, create_user),
    creation("task", Task, create_task),
    creation("answer", SurveyAnswer, create_answer),
    creation("element", Element, create_element),
    creation("note", Note, create_note),
    edition("user", User, "names", "Edited"),
    edition("task", Task, "name", "Edited"),
    edition("answer", SurveyAnswer, "answers", ["Edited"]),
    edition("element", Element, "display", "Edited"),
    edition("note", Note, "title", "Edited"),
    deletion("user", User),
    deletion("task", Task),
    deletion("answer", SurveyAnswer),
    deletion("element", Element),
    deletion("note", Note),
    link_change("task", "followers", "newcomer", add=True),
    link_change("task", "followers", "user", add=False),
    link_change("user", "properties", "spare", add=True),
    link_change("user", "properties", "element", add=False),
]
CALLERS = ["autocommit", "atomic"]


@pytest.fixture
def objects(company_a, workflow_a, survey_a, group_a, element_a, member_a, admin_a) -> Objects:
    """The objects (see `Objects`), then one active webhook per trigger, so that every change
    below writes an outbox."""
    company, workflow, survey, group, element, user = (
        company_a, workflow_a, survey_a, group_a, element_a, member_a
    )  # fmt: skip
    user.properties.add(element)
    task = Task.objects.create(company=company, workflow=workflow, name="Repair")
    task.followers.add(user)
    answer = SurveyAnswer.objects.create(company=company, survey=survey, group=group, answers=[0])
    note = Note.objects.create(company=company, title="Checked")
    spare = Element.objects.create(
        company=company, collection=element.collection, code="spare", display="Spare"
    )
    context = {Trigger.TASK: {"workflow": workflow}, Trigger.SURVEY: {"survey": survey, "group": group}}
    for trigger in (Trigger.USER, Trigger.TASK, Trigger.SURVEY, Trigger.PROPERTY, Trigger.NOTE):
        code = trigger.value.split("-")[-1]
        Webhook.objects.create(
            company=company, name=code, code=code, url=f"http://127.0.0.1:9/{code}", trigger=trigger,
            **context.get(trigger, {}),
        )  # fmt: skip
    return Objects(
        user=user, task=task, answer=answer, element=element, note=note, newcomer=admin_a, spare=spare,
        new_id=new_object_id(),
    )  # fmt: skip


@pytest.fixture
def second_session() -> Iterator[Any]:
    """A PostgreSQL session of its own (autocommit): it cuts the test's session and reads what
    was committed."""
    with pg_faults.second_session() as session:
        yield session


@contextlib.contextmanager
def cut_after_own_statement(table: str, second_session) -> Iterator[list[str]]:
    """Terminate this connection's PostgreSQL session right after its first INSERT, UPDATE or
    DELETE on `table` has run: the next statement, or the commit, fails. Yields the cut
    statements (one once it happened)."""
    own_statement = re.compile(rf'^(INSERT INTO|UPDATE|DELETE FROM) "{re.escape(table)}"\s')
    cut: list[str] = []

    def cut_after(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not cut and own_statement.match(sql):
            pid = context["connection"].connection.info.backend_pid
            # With a timeout it waits until the session is gone, so the next statement fails.
            pg_faults.session_cut(pid, session=second_session, wait_ms=5000)
            cut.append(sql)
        return result

    with connection.execute_wrapper(cut_after):
        yield cut


def caller_transaction(caller: str) -> contextlib.AbstractContextManager:
    return transaction.atomic() if caller == "atomic" else contextlib.nullcontext()


def outbox_rows(session, *, subject_id: str, action: str) -> tuple[int, int]:
    """(events, deliveries) committed for this object and action."""
    events, deliveries = Event._meta.db_table, Delivery._meta.db_table
    row = session.execute(
        f'SELECT COUNT(DISTINCT e.id), COUNT(d.id) FROM "{events}" e'
        f' LEFT JOIN "{deliveries}" d ON d.event_id = e.id WHERE e.subject_id = %s AND e.action = %s',
        [subject_id, action],
    ).fetchone()
    return row[0], row[1]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_a_change_whose_connection_is_cut_is_never_committed_without_its_event(
    change: Change, caller: str, objects: Objects, second_session
):
    subject_id = change.subject(objects)

    with (
        cut_after_own_statement(change.table, second_session) as cut,
        pytest.raises(Error),
        caller_transaction(caller),
    ):
        change.make(objects)
    connection.close()  # the session is gone: the next query opens a new one

    assert cut, f"{change.name} ran no INSERT, UPDATE or DELETE on {change.table}"
    with second_session.cursor() as cursor:
        applied = change.applied(cursor, objects, subject_id)
    outbox = outbox_rows(second_session, subject_id=subject_id, action=change.action)
    assert not applied or outbox == (1, 1), f"{change.name} committed with (events, deliveries) {outbox}"


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_a_change_whose_connection_stays_commits_with_its_event(
    change: Change, objects: Objects, second_session
):
    subject_id = change.subject(objects)

    change.make(objects)

    with second_session.cursor() as cursor:
        assert change.applied(cursor, objects, subject_id)
    assert outbox_rows(second_session, subject_id=subject_id, action=change.action) == (1, 1)
