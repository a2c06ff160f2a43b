"""A task's serial: the next number of its workflow, unique under concurrent creates."""

import threading

import pytest
from django.db import connection, connections

from events.models import Task, Workflow

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: covered by CI's PostgreSQL run"
)

THREADS = 8
TASKS_EACH = 5


def test_tasks_are_numbered_in_their_workflow(db, company_a, workflow_a):
    other = Workflow.objects.create(company=company_a, name="Other", code="other")
    first = Task.objects.create(company=company_a, workflow=workflow_a, name="First")
    elsewhere = Task.objects.create(company=company_a, workflow=other, name="Elsewhere")
    second = Task.objects.create(company=company_a, workflow=workflow_a, name="Second")

    assert (first.serial, second.serial, elsewhere.serial) == (1, 2, 1)


@postgresql_only
def test_concurrent_creates_in_one_workflow_get_distinct_serials(transactional_db, company_a, workflow_a):
    start = threading.Barrier(THREADS, timeout=30)
    failures: list[Exception] = []

    def create_tasks(thread: int) -> None:
        try:
            start.wait()  # every thread creates at once
            for number in range(TASKS_EACH):
                Task.objects.create(company=company_a, workflow=workflow_a, name=f"t{thread}-{number}")
        except Exception as error:  # re-raised in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_tasks, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not failures, failures
    serials = sorted(Task.objects.filter(workflow=workflow_a).values_list("serial", flat=True))
    assert serials == list(range(1, THREADS * TASKS_EACH + 1))
