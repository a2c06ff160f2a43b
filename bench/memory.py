"""Benchmark 5 — worker memory.

A real `qcluster` (2 workers) delivers to a loopback receiver: 1 in 20
deliveries goes to a webhook whose endpoint answers with a 10 MB body (the
engine reads at most WEBHOOK_RESPONSE_MAX_BYTES of it), the rest to three
webhooks answering 200 at once. Peak RSS (VmHWM) and current RSS (VmRSS) of
each worker process (the pids the workers log as "ready for work at") are
read from /proc after 1,000 and after 20,000 deliveries. Deliveries are
inserted in bulk (capture cost is benchmark 1) and rung once per webhook.

Target: peak RSS growth between the two readings <= 10 %.
"""

import os
import time
from pathlib import Path

from bench.common import (
    proc_status_kib,
    receiver_and_cluster,
    run_with_workdir,
    summary,
    verdict,
    wait_until,
)

FIRST = 1000
TOTAL = int(os.environ.get("BENCH_MEMORY_TOTAL", 20000))
BIG = 10 * 1024 * 1024
TARGET = 0.10


def deliveries_add(webhooks, count: int, start: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from webhooks.engine import doorbell
    from webhooks.models import Delivery, Event

    now = timezone.now()
    with transaction.atomic():
        events = Event.objects.bulk_create(
            Event(
                company_id=webhooks[0].company_id,
                type="COTTask",
                action="create",
                body=f'{{"company":"{webhooks[0].company_id}","type":"COTTask","event":"create",'
                f'"data":{{"name":"task {n}"}},"diff":{{}},"extraData":null}}',
            )
            for n in range(start, start + count)
        )
        if events[0].pk is None:
            events = list(Event.objects.order_by("-id")[:count])[::-1]
        Delivery.objects.bulk_create(
            Delivery(
                company_id=event.company_id,
                webhook=webhooks[0] if (start + i) % 20 == 0 else webhooks[1 + (start + i) % 3],
                event=event,
                next_attempt_at=now,
                created_at=now,
            )
            for i, event in enumerate(events)
        )
    doorbell.ring(webhook_ids=[w.pk for w in webhooks])


def memory_of(pids: list[int]) -> dict[int, tuple[int, int]]:
    return {pid: (proc_status_kib(pid, "VmHWM"), proc_status_kib(pid, "VmRSS")) for pid in pids}


def run(workdir: Path) -> None:
    from events.models import Company
    from webhooks.models import Delivery, Webhook

    with receiver_and_cluster(workdir) as (receiver, cluster):
        company = Company.objects.create(name="Bench")
        webhooks = [
            Webhook.objects.create(
                company=company, name="big", code="big", url=receiver.url(f"/big?size={BIG}")
            )
        ] + [
            Webhook.objects.create(company=company, name=f"h{i}", code=f"h{i}", url=receiver.url(f"/h{i}"))
            for i in range(3)
        ]
        cluster.start()

        def done(count: int):
            return lambda: Delivery.objects.exclude(state=Delivery.State.PENDING).count() >= count

        readings = {}
        started = time.monotonic()
        deliveries_add(webhooks, FIRST, 0)
        wait_until(done(FIRST), timeout=300, message=f"{FIRST} deliveries", interval=0.25)
        pids = cluster.worker_pids()
        readings[FIRST] = memory_of(pids)
        print(f"{FIRST} deliveries in {time.monotonic() - started:.1f}s; workers {pids}")
        for offset in range(FIRST, TOTAL, 5000):
            deliveries_add(webhooks, min(5000, TOTAL - offset), offset)
            wait_until(
                done(offset + min(5000, TOTAL - offset)), timeout=600, message="deliveries", interval=0.5
            )
        readings[TOTAL] = memory_of(pids)
        assert cluster.worker_pids() == pids, "a worker was replaced (recycled) during the run"
        big = Delivery.objects.filter(webhook=webhooks[0])
        print(
            f"{TOTAL} deliveries in {time.monotonic() - started:.1f}s; "
            f"{big.count()} with a 10 MB response (stored truncated: "
            f"{big.filter(response_truncated=True).count()}); "
            f"failed: {Delivery.objects.filter(state=Delivery.State.FAILED).count()}"
        )
        growth = 0.0
        for pid in pids:
            (hwm1, rss1), (hwm2, rss2) = readings[FIRST][pid], readings[TOTAL][pid]
            change = (hwm2 - hwm1) / hwm1
            growth = max(growth, change)
            print(
                f"worker {pid}: VmHWM {hwm1 / 1024:.1f} -> {hwm2 / 1024:.1f} MiB ({change:+.1%}), "
                f"VmRSS {rss1 / 1024:.1f} -> {rss2 / 1024:.1f} MiB"
            )
        summary(
            "memory", [f"peak RSS growth {growth:+.1%} (target <=+{TARGET:.0%}) {verdict(growth <= TARGET)}"]
        )


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
