"""webhooks/migrations/0012_log_filters.py: events stored before it get their object id."""

import json

BEFORE = [("webhooks", "0011_capture_cost")]
AFTER = [("webhooks", "0012_log_filters")]


def test_existing_events_get_the_object_id_of_their_body(migrator):
    apps = migrator.loader.project_state(BEFORE).apps
    company = apps.get_model("events", "Company").objects.create(id="6b0000000000000000000001", name="A")
    Event = apps.get_model("webhooks", "Event")

    def stored(type: str, data, extra=None) -> int:
        body = {"company": company.pk, "type": type, "event": "edit", "data": data, "extraData": extra}
        return Event.objects.create(company=company, type=type, action="edit", body=json.dumps(body)).pk

    task = stored("COTTask", {"_id": "62742b7562f37034d9399914", "name": "Pump"})
    logout = stored("Auth", None, {"userId": "62742b7562f37034d9399915", "timestamp": 1})
    test = stored("COTWebhook", None, {"test": True})
    odd = stored("COTNote", {"_id": 12})
    long = stored("COTNote", {"_id": "x" * 30})

    migrator.loader.build_graph()
    migrator.migrate(AFTER)

    apps = migrator.loader.project_state(AFTER).apps
    subjects = dict(apps.get_model("webhooks", "Event").objects.values_list("pk", "subject_id"))
    assert subjects == {
        task: "62742b7562f37034d9399914",
        logout: "62742b7562f37034d9399915",
        test: "",
        odd: "",
        long: "",
    }
