"""The route table (webhooks.engine.routes): capture without a query on PostgreSQL, kept
current by NOTIFY, and never trusted past what the outbox INSERT re-checks."""

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from events.models import Task, Workflow
from tests.waiting import wait_until
from webhooks.engine import routes, routing
from webhooks.models import Delivery, Event, Trigger, Webhook

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN/NOTIFY: covered by CI's PostgreSQL run"
)


def in_another_thread(work) -> None:
    """Run `work` on another thread's database connection, committed when it returns."""
    failures = []

    def run() -> None:
        try:
            with transaction.atomic():
                work()
        except Exception as error:  # re-raised in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not failures, failures


def task_webhook(company, workflow, name: str, **fields) -> Webhook:
    return Webhook.objects.create(
        company=company,
        name=name,
        code=name,
        url=f"http://127.0.0.1:9/{name}",
        trigger=Trigger.TASK,
        workflow=workflow,
        **fields,
    )


def table_routed(*, company_id: str, type: str, context: dict) -> tuple | None:
    """The route table's answer for such a change: (webhook ids, subscriptions of those that
    want only some changes), or None when it cannot tell (the database must be asked)."""
    known = routes.routes_of(company_id, routing.company_routes)
    if known is None:
        return None
    return known.get(routing.event_route_key(type, context), ((), {}))


def table_ids(*, company_id: str, type: str, context: dict) -> tuple | None:
    known = table_routed(company_id=company_id, type=type, context=context)
    return None if known is None else known[0]


def query_routed(*, company_id: str, type: str, context: dict) -> tuple:
    """What the database says, with no table: (webhook ids, subscriptions)."""
    key = routing.event_route_key(type, context)
    return routing.company_routes(company_id).get(key, ((), {}))


def candidates(ids, company_id: str, context: dict) -> routing.Interest:
    """A route table's answer that may be behind: the outbox re-checks these webhooks."""
    return routing.Interest(tuple(ids), {}, company_id, "COTTask", context, recheck=True)


def routing_queries(queries) -> list[str]:
    """Statements that look webhooks up by company: the ORM's query, or the outbox statement's
    re-check (the doorbell's UPDATE by id is not one)."""
    return [
        q["sql"]
        for q in queries
        if '"webhooks_webhook"."company_id" =' in q["sql"] or "w.company_id =" in q["sql"]
    ]


@pytest.fixture
def other_workflow(company_a) -> Workflow:
    return Workflow.objects.create(company=company_a, name="Other", code="other")


def test_without_the_route_table_the_database_is_always_asked(db, company_a, settings):
    settings.WEBHOOK_ROUTE_TABLE = False  # behind a transaction pooler
    assert table_ids(company_id=company_a.pk, type="COTTask", context={"taskGroup": "x"}) is None


@postgresql_only
def test_a_change_no_webhook_can_want_runs_no_webhook_query(
    transactional_db, company_a, workflow_a, other_workflow
):
    task_webhook(company_a, other_workflow, "elsewhere")
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=company_a, workflow=workflow_a, name="Unwanted")

    assert routing_queries(queries.captured_queries) == []
    # In the transaction every tracked save runs in (SavedWithItsEvent): the workflow's lock and
    # its last serial, then the row.
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["BEGIN", "SELECT", "SELECT", "INSERT", "COMMIT"]
    assert not Delivery.objects.exists()


@postgresql_only
def test_a_rolled_back_webhook_write_leaves_its_company_routed_by_the_table(
    transactional_db, company_a, workflow_a, other_workflow
):
    task_webhook(company_a, other_workflow, "elsewhere")
    with pytest.raises(RuntimeError), transaction.atomic():
        task_webhook(company_a, other_workflow, "rolled-back")
        raise RuntimeError("roll back")
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=company_a, workflow=workflow_a, name="Unwanted")

    assert routing_queries(queries.captured_queries) == []


@postgresql_only
def test_a_webhook_write_in_a_rolled_back_savepoint_leaves_its_company_routed_by_the_table(
    transactional_db, company_a, workflow_a, other_workflow
):
    task_webhook(company_a, other_workflow, "elsewhere")
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            task_webhook(company_a, other_workflow, "rolled-back")
            raise RuntimeError("roll back")
        Task.objects.create(company=company_a, workflow=workflow_a, name="Unwanted")

    assert routing_queries(queries.captured_queries) == []


@postgresql_only
def test_matching_candidates_get_their_deliveries_in_one_statement(transactional_db, company_a, workflow_a):
    hooks = [task_webhook(company_a, workflow_a, f"m{i}") for i in range(2)]
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=company_a, workflow=workflow_a, name="Wanted")

    (routing,) = routing_queries(queries.captured_queries)
    assert routing.lstrip().startswith("WITH kept AS")  # candidates checked, event and deliveries written
    event = Delivery.objects.filter(event__body__contains='"Wanted"').values_list("webhook_id", flat=True)
    assert sorted(event) == sorted(hook.pk for hook in hooks)
    wanted = Task.objects.get(name="Wanted")
    assert Event.objects.get(body__contains='"Wanted"').subject_id == wanted.pk  # in that same statement


@postgresql_only
def test_a_wanted_edit_reads_its_row_and_followers_in_one_statement(
    transactional_db, company_a, workflow_a, admin_a
):
    hook = task_webhook(company_a, workflow_a, "m0")
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.followers.add(admin_a)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        task.name = "Pump 2"
        task.save()

    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    # The snapshot (the row with its followers), the row's UPDATE, the outbox; then the ORM
    # broker's doorbell.
    assert [sql.split()[0] for sql in statements[:3]] == ["SELECT", "UPDATE", "WITH"], statements
    assert "ARRAY(SELECT" in statements[0]
    assert not [
        sql for sql in statements if sql.startswith("SELECT") and "events_task_followers" in sql[:200]
    ]
    edit = Delivery.objects.filter(webhook=hook).latest("id").event
    body = json.loads(edit.body)
    assert body["data"]["followers"] == [admin_a.pk]  # the list came from the snapshot
    assert body["diff"] == {"/name": {"previous": "Pump", "changedTo": "Pump 2"}}


@postgresql_only
def test_the_outbox_keeps_only_candidates_that_still_match(
    transactional_db, company_a, workflow_a, other_workflow
):
    matching = task_webhook(company_a, workflow_a, "matching")
    inactive = task_webhook(company_a, workflow_a, "inactive", is_active=False)
    moved = task_webhook(company_a, other_workflow, "moved")
    stale = (matching.pk, inactive.pk, moved.pk, "6b0e00000000000000000000")  # the last one was deleted
    behind = candidates(stale, company_a.pk, {"taskGroup": workflow_a.pk})
    event = {"company": company_a.pk, "type": "COTTask", "event": "create", "data": {"_id": "t1"}}

    assert routing.event_store(event=event, interest=behind) == [matching.pk]
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [matching.pk]

    nobody = candidates((inactive.pk,), company_a.pk, {"taskGroup": workflow_a.pk})
    assert routing.event_store(event={**event, "data": {"_id": "t2"}}, interest=nobody) == []
    assert Delivery.objects.count() == 1
    assert not Delivery.objects.filter(event__body__contains='"t2"').exists()


@postgresql_only
def test_a_webhook_committed_elsewhere_is_routed_once_its_notification_arrives(
    transactional_db, company_a, workflow_a
):
    context = {"taskGroup": workflow_a.pk}
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == ()
    created = []
    in_another_thread(lambda: created.append(task_webhook(company_a, workflow_a, "late")))

    wait_until(
        lambda: table_ids(company_id=company_a.pk, type="COTTask", context=context) == (created[0].pk,),
        message="the notification",
    )
    Task.objects.create(company=company_a, workflow=workflow_a, name="After")
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [created[0].pk]

    in_another_thread(lambda: Webhook.objects.filter(pk=created[0].pk).update(is_active=False))
    wait_until(
        lambda: table_ids(company_id=company_a.pk, type="COTTask", context=context) == (),
        message="the deactivation's notification",
    )


@postgresql_only
def test_a_webhook_written_in_the_callers_transaction_is_routed_in_it(
    transactional_db, company_a, workflow_a
):
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm the table")
    with transaction.atomic():
        hook = task_webhook(company_a, workflow_a, "same-transaction")
        Task.objects.create(company=company_a, workflow=workflow_a, name="Created")
        Webhook.objects.filter(pk=hook.pk).update(is_active=False)
        Task.objects.create(company=company_a, workflow=workflow_a, name="After deactivation")

    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [hook.pk]
    assert Delivery.objects.get().event.body.count('"Created"') == 1


@postgresql_only
def test_a_rolled_back_webhook_is_never_routed(transactional_db, company_a, workflow_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        task_webhook(company_a, workflow_a, "rolled-back")
        raise RuntimeError("rollback")

    Task.objects.create(company=company_a, workflow=workflow_a, name="After the rollback")
    assert not Delivery.objects.exists()
    assert table_ids(company_id=company_a.pk, type="COTTask", context={"taskGroup": workflow_a.pk}) == ()


@postgresql_only
def test_a_lost_listen_connection_falls_back_to_queries_then_listens_again(
    transactional_db, company_a, workflow_a, monkeypatch
):
    hook = task_webhook(company_a, workflow_a, "kept")
    context = {"taskGroup": workflow_a.pk}
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)
    listener_pid = routes._table.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener_pid])

    wait_until(
        lambda: table_ids(company_id=company_a.pk, type="COTTask", context=context) is None,
        message="the lost connection to be noticed",
    )
    Task.objects.create(company=company_a, workflow=workflow_a, name="While reconnecting")
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [hook.pk]

    monkeypatch.setattr(routes._table, "retry_at", 0.0)
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)
    assert routes._table.connection.info.backend_pid != listener_pid


@postgresql_only
def test_the_table_agrees_with_the_matching_query_for_every_trigger(
    transactional_db, company_a, company_b, workflow_a, other_workflow, survey_a, group_a
):
    hooks = [
        task_webhook(company_a, workflow_a, "task"),
        Webhook.objects.create(
            company=company_a, name="survey", code="survey", url="http://127.0.0.1:9/s",
            trigger=Trigger.SURVEY, survey=survey_a, group=group_a,
        ),
        Webhook.objects.create(company=company_a, name="user", code="user", url="http://127.0.0.1:9/u"),
        Webhook.objects.create(
            company=company_a, name="note", code="note", url="http://127.0.0.1:9/n", trigger=Trigger.NOTE
        ),
    ]  # fmt: skip
    assert len(hooks) == 4
    events = [
        ("COTTask", {"taskGroup": workflow_a.pk}),
        ("COTTask", {"taskGroup": other_workflow.pk}),
        ("COTSurvey", {"surveyId": survey_a.pk, "group": group_a.pk}),
        ("COTSurvey", {"surveyId": survey_a.pk, "group": "another"}),
        ("COTUser", {}),
        ("COTNote", {}),
        ("COTProperty", {}),
        ("Auth", {}),
    ]
    for company in (company_a, company_b):
        for type, context in events:
            known = table_ids(company_id=company.pk, type=type, context=context)
            # Every webhook here wants everything: the QuerySet's answer is their ids.
            event = {"company": company.pk, "type": type, "event": "create", "data": context}
            exact = Webhook.objects.routed(event).values_list("pk", flat=True)
            assert sorted(known) == sorted(exact), (company.name, type, context)


@postgresql_only
def test_the_table_carries_the_subscriptions_the_query_reads(transactional_db, company_a, workflow_a):
    everything = task_webhook(company_a, workflow_a, "everything")
    creates = task_webhook(company_a, workflow_a, "creates", events=["create"])
    statuses = task_webhook(company_a, workflow_a, "statuses", events=["edit"], fields=["/status"])
    context = {"taskGroup": workflow_a.pk}

    ids, subscriptions = table_routed(company_id=company_a.pk, type="COTTask", context=context)
    queried_ids, queried_subscriptions = query_routed(
        company_id=company_a.pk, type="COTTask", context=context
    )

    assert sorted(ids) == sorted(queried_ids) == sorted([everything.pk, creates.pk, statuses.pk])
    assert (
        subscriptions
        == queried_subscriptions
        == {
            creates.pk: (["create"], []),
            statuses.pk: (["edit"], ["/status"]),
        }
    )


@postgresql_only
def test_a_paused_webhook_keeps_its_route_and_a_deactivation_of_it_drops_the_route(
    transactional_db, company_a, workflow_a
):
    context = {"taskGroup": workflow_a.pk}
    hook = task_webhook(company_a, workflow_a, "paused")
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)

    in_another_thread(
        lambda: Webhook.objects.filter(pk=hook.pk).update(is_active=False, inactive_reason="paused_failing")
    )
    Task.objects.create(company=company_a, workflow=workflow_a, name="While paused")
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [hook.pk]

    # Only the reason changes (is_active stays false): its NOTIFY must still drop the route.
    in_another_thread(lambda: Webhook.objects.filter(pk=hook.pk).update(inactive_reason=""))
    wait_until(
        lambda: table_ids(company_id=company_a.pk, type="COTTask", context=context) == (),
        message="the manual deactivation's notification",
    )
    Task.objects.create(company=company_a, workflow=workflow_a, name="After deactivation")
    assert Delivery.objects.count() == 1


# --- SQLite: the version the webhook table's triggers change

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's version triggers")


@sqlite_only
def test_a_webhook_committed_by_another_connection_is_routed_at_the_next_change(
    transactional_db, company_a, workflow_a
):
    context = {"taskGroup": workflow_a.pk}
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == ()  # kept
    created = []

    in_another_thread(lambda: created.append(task_webhook(company_a, workflow_a, "elsewhere")))

    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (created[0].pk,)


@sqlite_only
def test_a_webhook_written_and_rolled_back_in_the_callers_transaction_is_routed_only_in_it(
    transactional_db, company_a, workflow_a
):
    context = {"taskGroup": workflow_a.pk}
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == ()
    with transaction.atomic():
        hook = task_webhook(company_a, workflow_a, "mine")
        assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)
        transaction.set_rollback(True)

    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == ()


@sqlite_only
def test_a_capture_with_no_route_reads_only_the_version(db, company_a, workflow_a, other_workflow):
    task_webhook(company_a, other_workflow, "elsewhere")
    Task.objects.create(company=company_a, workflow=workflow_a, name="Warm")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")

    capture = [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]]
    assert capture == [routes.ROUTES_VERSION_READ]  # the task's own statements aside
    assert not Event.objects.exists()


@sqlite_only
def test_the_version_triggers_come_back_after_a_migration_drops_them(db, company_a, workflow_a):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER webhooks_routes_version_insert")
    routes.sqlite_version_install(using=connection.alias)  # what post_migrate runs
    context = {"taskGroup": workflow_a.pk}
    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == ()

    hook = task_webhook(company_a, workflow_a, "new")

    assert table_ids(company_id=company_a.pk, type="COTTask", context=context) == (hook.pk,)
