"""Webhooks that subscribe to some actions and, for edits, some fields (webhooks.subscription):
the rule, its validation, and capture writing nothing for a change no webhook wants."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.cot import FIELD_PATHS, KINDS
from events.models import Element, Note, Task, User
from tests.webhooks.test_routes import candidates, postgresql_only, routing_queries, table_routed
from webhooks import subscription
from webhooks.engine import routes, routing
from webhooks.models import Delivery, Event, Trigger, Webhook
from webhooks.subscription import ACTIONS, diff_prefixes, wants


def edit(*paths: str) -> set[str]:
    return diff_prefixes(dict.fromkeys(paths, {"previous": 1, "changedTo": 2}))


# --- the rule


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_reaches_a_webhook_that_wants_every_action(action):
    assert wants(list(ACTIONS), [], action=action, prefixes=edit("/name"))


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_left_out_is_not_sent(action):
    others = [a for a in ACTIONS if a != action]
    assert not wants(others, [], action=action, prefixes=edit("/name"))


def test_a_chosen_field_matches_an_edit_of_it_exactly():
    assert wants(["edit"], ["/status"], action="edit", prefixes=edit("/status", "/name"))
    assert not wants(["edit"], ["/status"], action="edit", prefixes=edit("/name", "/statusText"))


def test_a_chosen_object_matches_an_edit_of_any_field_under_it():
    assert wants(["edit"], ["/name"], action="edit", prefixes=edit("/name/displayName"))
    assert wants(["edit"], ["/context/task"], action="edit", prefixes=edit("/context/task/taskId"))
    assert not wants(["edit"], ["/name/names"], action="edit", prefixes=edit("/name/displayName"))


def test_a_list_is_one_field():
    assert wants(["edit"], ["/followers"], action="edit", prefixes=edit("/followers"))
    assert not wants(["edit"], ["/followers"], action="edit", prefixes=edit("/assignee"))


def test_fields_do_not_filter_creates_and_deletes():
    assert wants(list(ACTIONS), ["/status"], action="create", prefixes=set())
    assert wants(list(ACTIONS), ["/status"], action="delete", prefixes=set())


def test_a_logout_is_always_sent():
    assert wants(["create"], [], action="logout", prefixes=set())


def paths_of(document: dict, path: str = "") -> set[str]:
    """Every JSON pointer of a document's objects and their keys (lists are leaves)."""
    found = set()
    for key, value in document.items():
        found.add(f"{path}/{key}")
        if isinstance(value, dict):
            found |= paths_of(value, f"{path}/{key}")
    return found


def test_the_offered_paths_are_the_shapes_own(company_a, workflow_a, member_a, element_a):
    """Every offered path is in the real COT JSON, and every key but the fixed ones is offered."""
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Shape")
    note = Note.objects.create(company=company_a, title="Shape", task=task)
    for instance in (task, member_a, element_a, note):
        kind = KINDS[type(instance)]
        paths = paths_of(kind.to_cot(instance)) - {"/_id", "/createdAt", "/modifiedAt"}
        offered = set(FIELD_PATHS[kind.type])
        assert offered <= paths, kind.type
        top = {path for path in paths if path.count("/") == 1}
        assert top <= offered, kind.type


# --- validation


def test_events_are_normalized_to_their_canonical_order_once_each():
    assert subscription.events_normalized(["delete", "create", "delete"]) == ["create", "delete"]


@pytest.mark.parametrize("events", [[], "create", ["create", "remove"], None])
def test_events_must_be_a_non_empty_list_of_actions(events):
    with pytest.raises(ValidationError):
        subscription.events_normalized(events)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (["status"], "invalid"),
        (["/status~2"], "invalid"),
        (["/nope"], "unknown"),
        (["/name/displayName"], "unknown"),  # a user's, not a task's
        ([7], "invalid"),
    ],
)
def test_fields_must_be_json_pointers_of_the_triggers_shape(fields, code):
    with pytest.raises(ValidationError) as caught:
        subscription.fields_normalized(fields, event_type="COTTask", events=list(ACTIONS))
    assert caught.value.error_list[0].code == code


def test_fields_without_edits_are_refused():
    with pytest.raises(ValidationError) as caught:
        subscription.fields_normalized(["/status"], event_type="COTTask", events=["create"])
    assert caught.value.error_list[0].code == "without_edit"


def test_a_logout_webhook_has_no_fields_to_choose():
    with pytest.raises(ValidationError):
        subscription.fields_normalized(["/email"], event_type="Auth", events=list(ACTIONS))


def test_paths_under_an_elements_schema_instance_are_accepted():
    fields = ["/schemaInstance/color", "/name"]
    assert subscription.fields_normalized(fields, event_type="COTProperty", events=["edit"]) == sorted(fields)


def test_the_model_refuses_bad_subscriptions_with_field_errors(company_a, workflow_a):
    webhook = Webhook(company=company_a, name="t", code="t", url="https://example.com/", trigger=Trigger.TASK)
    webhook.workflow = workflow_a
    webhook.events, webhook.fields = ["create"], ["/status", "/nope"]
    with pytest.raises(ValidationError) as caught:
        webhook.full_clean()
    assert set(caught.value.message_dict) == {"fields"}


def test_no_action_is_one_clear_message(company_a, workflow_a):
    from webhooks import services

    with pytest.raises(ValidationError) as caught:
        services.webhook_create(
            company_id=company_a.pk, code="none", name="none", url="https://example.com/",
            trigger=Trigger.TASK, workflow=workflow_a, events=[],
        )  # fmt: skip
    assert caught.value.message_dict == {"events": ["Choose at least one action."]}


# --- capture


def hook(company, code: str, trigger=Trigger.TASK, **fields) -> Webhook:
    return Webhook.objects.create(
        company=company, name=code, code=code, url=f"http://127.0.0.1:9/{code}", trigger=trigger, **fields
    )


def delivered(webhook: Webhook) -> list[tuple[str, list[str]]]:
    import json

    rows = Delivery.objects.filter(webhook=webhook).order_by("id").values_list("event__body", flat=True)
    return [(body["event"], sorted(body["diff"])) for body in map(json.loads, rows)]


def changes(company, workflow, status) -> Task:
    task = Task.objects.create(company=company, workflow=workflow, name="Pump")
    task.name = "Pump 2"
    task.save()
    task.status = status
    task.save()
    task.delete()
    return task


@pytest.fixture
def status(element_a) -> Element:
    return element_a  # a task's status is an element


def test_each_webhook_gets_only_the_changes_it_subscribed_to(db, company_a, workflow_a, status):
    everything = hook(company_a, "everything", workflow=workflow_a)
    creates = hook(company_a, "creates", workflow=workflow_a, events=["create"])
    statuses = hook(company_a, "statuses", workflow=workflow_a, events=["edit"], fields=["/status"])

    changes(company_a, workflow_a, status)

    assert [action for action, _ in delivered(everything)] == ["create", "edit", "edit", "delete"]
    assert delivered(creates) == [("create", [])]
    assert delivered(statuses) == [("edit", ["/status"])]
    assert Event.objects.count() == 4  # each change once, shared


def test_without_the_route_table_the_interest_query_filters_alike(
    db, company_a, workflow_a, status, settings
):
    settings.WEBHOOK_ROUTE_TABLE = False  # PostgreSQL behind a transaction pooler: the query path
    creates = hook(company_a, "creates", workflow=workflow_a, events=["create"])
    statuses = hook(company_a, "statuses", workflow=workflow_a, events=["edit"], fields=["/status"])

    changes(company_a, workflow_a, status)

    assert delivered(creates) == [("create", [])]
    assert delivered(statuses) == [("edit", ["/status"])]
    assert Event.objects.count() == 2


def test_a_change_no_webhook_wants_writes_no_event(db, company_a, workflow_a, status):
    hook(company_a, "creates", workflow=workflow_a, events=["create"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    Event.objects.all().delete()

    task.name = "Pump 2"
    task.save()
    task.delete()

    assert not Event.objects.exists()
    assert not Delivery.objects.filter(event__action__in=["edit", "delete"]).exists()


def test_a_user_edit_matches_a_chosen_object_by_its_leaves(db, company_a):
    names = hook(company_a, "names", Trigger.USER, events=["edit"], fields=["/name"])
    user = User.objects.create_user("someone@example.com", "pw-someone-1", company=company_a)
    user.job_title = "Dispatcher"
    user.save()
    user.display_name = "Someone Else"
    user.save()

    assert delivered(names) == [("edit", ["/name/displayName"])]


def test_a_follower_edit_reaches_a_webhook_of_followers(db, company_a, workflow_a, member_a):
    followers = hook(company_a, "followers", workflow=workflow_a, events=["edit"], fields=["/followers"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.name = "Pump 2"
    task.save()
    task.followers.add(member_a)

    assert delivered(followers) == [("edit", ["/followers"])]


def test_an_element_edit_under_its_schema_instance(db, company_a, element_a):
    colors = hook(company_a, "colors", Trigger.PROPERTY, events=["edit"], fields=["/schemaInstance/color"])
    element = Element.objects.get(pk=element_a.pk)
    element.schema_instance = {**element.schema_instance, "color": "red"}
    element.save()
    element.display = "Renamed"
    element.save()

    assert delivered(colors) == [("edit", ["/schemaInstance/color"])]


def test_a_chosen_field_inside_an_object_that_appears_is_an_edit_of_it(db, company_a, element_a):
    # The diff names the whole new object (`/schemaInstance/color`), not the field under it.
    hexes = hook(company_a, "hexes", Trigger.PROPERTY, events=["edit"], fields=["/schemaInstance/color/hex"])
    others = hook(company_a, "others", Trigger.PROPERTY, events=["edit"], fields=["/schemaInstance/size/cm"])
    element = Element.objects.get(pk=element_a.pk)
    element.schema_instance = {**element.schema_instance, "color": {"hex": "#f00"}}
    element.save()

    assert delivered(hexes) == [("edit", ["/schemaInstance/color"])]
    assert delivered(others) == []


def test_an_edit_of_a_chosen_field_through_its_parent_on_each_path():
    appeared = {"/avatar": {"previous": None, "changedTo": {"small": "a.png", "square": "a.png"}}}
    assert wants(["edit"], ["/avatar/small"], action="edit", prefixes=diff_prefixes(appeared))
    assert not wants(["edit"], ["/avatar/original"], action="edit", prefixes=diff_prefixes(appeared))
    nested = {"/a": {"previous": {"b": {"c": 1, "d": 2}}, "changedTo": {"b": {"c": 1, "d": 3}}}}
    assert wants(["edit"], ["/a/b/d"], action="edit", prefixes=diff_prefixes(nested))
    assert not wants(["edit"], ["/a/b/c"], action="edit", prefixes=diff_prefixes(nested))


def test_a_subscription_stored_unnormalized_still_filters(db, company_a, workflow_a):
    # Written without clean() (QuerySet.update, a data migration): three actions, one of them.
    creates = hook(company_a, "creates", workflow=workflow_a)
    Webhook.objects.filter(pk=creates.pk).update(events=["create", "create", "create"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.name = "Pump 2"
    task.save()

    assert [action for action, _ in delivered(creates)] == ["create"]


def test_the_default_subscription_answers_as_before(db, company_a, workflow_a):
    webhook = hook(company_a, "everything", workflow=workflow_a)
    context = {"taskGroup": workflow_a.pk}

    answer = routing.router.interest(company_id=company_a.pk, type="COTTask", context=context)

    assert answer.webhook_ids == (webhook.pk,) and answer.subscriptions == {}


def test_an_edit_nobody_wants_costs_no_snapshot_and_no_write(transactional_db, company_a, workflow_a):
    hook(company_a, "creates", workflow=workflow_a, events=["create"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.name = "Pump 2"
    table_routed(company_id=company_a.pk, type="COTTask", context={"taskGroup": workflow_a.pk})  # warm

    with CaptureQueriesContext(connection) as queries:
        task.save()

    statements = [q["sql"] for q in queries.captured_queries]
    interest = routing_queries(queries.captured_queries)  # none on PostgreSQL: the route table
    assert len(interest) == (0 if routes.enabled() else 1)
    # SQLite's route table reads its version (one primary-key read); PostgreSQL's reads nothing.
    version_reads = [sql for sql in statements if sql == routes.ROUTES_VERSION_READ]
    assert len(version_reads) == (1 if connection.vendor == "sqlite" else 0)
    # The row only, in the transaction a tracked save opens in autocommit (SavedWithItsEvent).
    writes = [sql.split()[0] for sql in statements if sql not in interest and sql not in version_reads]
    assert [word for word in writes if word not in ("BEGIN", "COMMIT")] == ["UPDATE"]
    assert Event.objects.count() == 1  # the create


def test_a_save_that_inserts_a_row_gone_meanwhile_is_a_create_for_a_webhook_of_creates(
    db, company_a, workflow_a
):
    creates = hook(company_a, "creates", workflow=workflow_a, events=["create"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    Task.objects.filter(pk=task.pk).delete()  # elsewhere: this instance still looks saved

    task.save()  # no row to update: Django inserts it, a create

    assert [action for action, _ in delivered(creates)] == ["create", "create"]


def test_a_delete_nobody_wants_takes_no_snapshot(db, company_a, workflow_a, monkeypatch):
    from events import services

    hook(company_a, "creates", workflow=workflow_a, events=["create", "edit"])
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    snapshots = []
    monkeypatch.setattr(services, "cot_snapshot", lambda instance: snapshots.append(instance))

    task.delete()

    assert snapshots == [] and not Event.objects.filter(action="delete").exists()


# --- PostgreSQL: the route table carries the subscriptions; the outbox re-checks them


@postgresql_only
def test_the_route_table_filters_without_a_query(transactional_db, company_a, workflow_a, status):
    creates = hook(company_a, "creates", workflow=workflow_a, events=["create"])
    statuses = hook(company_a, "statuses", workflow=workflow_a, events=["edit"], fields=["/status"])
    context = {"taskGroup": workflow_a.pk}
    ids, selective = table_routed(company_id=company_a.pk, type="COTTask", context=context)
    assert sorted(ids) == sorted([creates.pk, statuses.pk]) and set(selective) == set(ids)
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.name = "Pump 2"

    with CaptureQueriesContext(connection) as queries:
        task.save()  # nobody wants a name edit
    assert routing_queries(queries.captured_queries) == []

    task.status = status
    task.save()
    assert delivered(creates) == [("create", [])]
    assert delivered(statuses) == [("edit", ["/status"])]


@postgresql_only
def test_a_stale_table_never_delivers_what_a_webhook_no_longer_wants(transactional_db, company_a, workflow_a):
    webhook = hook(company_a, "all", workflow=workflow_a)
    Webhook.objects.filter(pk=webhook.pk).update(events=["create"], fields=[])
    behind = candidates((webhook.pk,), company_a.pk, {"taskGroup": workflow_a.pk})
    edit_event = {
        "company": company_a.pk,
        "type": "COTTask",
        "event": "edit",
        "data": {"_id": "t1"},
        "diff": {"/name": {}},
    }

    assert routing.event_store(event=edit_event, interest=behind) == []
    assert not Event.objects.exists()
    assert routing.event_store(event={**edit_event, "event": "create", "diff": {}}, interest=behind) == [
        webhook.pk
    ]

    Webhook.objects.filter(pk=webhook.pk).update(events=["edit"], fields=["/status"])
    assert routing.event_store(event=edit_event, interest=behind) == []
    status_edit = {**edit_event, "diff": {"/status": {}}}
    assert routing.event_store(event=status_edit, interest=behind) == [webhook.pk]


@postgresql_only
def test_a_subscription_edited_elsewhere_reaches_the_table(transactional_db, company_a, workflow_a):
    from tests.waiting import wait_until
    from tests.webhooks.test_routes import in_another_thread

    webhook = hook(company_a, "all", workflow=workflow_a)
    context = {"taskGroup": workflow_a.pk}
    assert table_routed(company_id=company_a.pk, type="COTTask", context=context) == ((webhook.pk,), {})

    def narrow() -> None:  # raw SQL of these columns only: only the NOTIFY can tell the table
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE webhooks_webhook SET events = %s::jsonb, fields = %s::jsonb WHERE id = %s",
                ['["edit"]', '["/status"]', webhook.pk],
            )

    in_another_thread(narrow)
    wait_until(
        lambda: (
            table_routed(company_id=company_a.pk, type="COTTask", context=context)
            == ((webhook.pk,), {webhook.pk: (["edit"], ["/status"])})
        ),
        message="the subscription's notification",
    )
