"""Benchmark 2 — delivery throughput.

2,000 task events fanned out to 4 webhooks (8,000 deliveries) are created
with the cluster stopped; then a real `qcluster` with 2 workers delivers
them to a loopback receiver (its own process) that answers 200 at once.
Rate = deliveries / (last request - first request) at the receiver; the
time from cluster start to the last request is printed too. Order per
webhook is checked at the receiver (each task name ends with its number).

Baseline, same run: one process POSTs the same 8,000 bodies with
`requests.Session().post` in a loop to the same receiver.

Target: >= 0.8x the baseline rate on both brokers (0.6x before engine v3's grouped commits).
"""

import os
import time
from pathlib import Path

from bench.common import (
    ClusterProcess,
    ReceiverProcess,
    run_with_workdir,
    summary,
    verdict,
    wait_until,
)

EVENTS = int(os.environ.get("BENCH_THROUGHPUT_EVENTS", 2000))
WEBHOOKS = 4


def baseline(receiver: ReceiverProcess, jobs: list[tuple[str, bytes]]) -> float:
    import requests

    session = requests.Session()
    headers = {"Content-Type": "application/json"}
    started = time.monotonic()
    for url, body in jobs:
        session.post(url, data=body, headers=headers).close()
    return len(jobs) / (time.monotonic() - started)


def order_problems(records, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        seqs = [seq for p, seq, _ in records if p == path]
        if seqs != sorted(seqs):
            problems.append(f"{path}: out of order")
        if sorted(set(seqs)) != list(range(1, EVENTS + 1)):
            problems.append(f"{path}: {len(set(seqs))} distinct of {EVENTS}")
        if len(seqs) != len(set(seqs)):
            problems.append(f"{path}: {len(seqs) - len(set(seqs))} duplicates")
    return problems


def run(workdir: Path) -> None:
    from django.db import transaction

    from events.models import Company, Task, Workflow
    from webhooks.models import Delivery, Trigger, Webhook

    receiver = ReceiverProcess()
    cluster = None
    try:
        company = Company.objects.create(name="Bench")
        workflow = Workflow.objects.create(company=company, name="Orders", code="orders")
        paths = [f"/hook{i}" for i in range(WEBHOOKS)]
        for i, path in enumerate(paths):
            Webhook.objects.create(
                company=company,
                name=f"h{i}",
                code=f"h{i}",
                url=receiver.url(path),
                trigger=Trigger.TASK,
                workflow=workflow,
            )
        started = time.monotonic()
        for n in range(1, EVENTS + 1):
            with transaction.atomic():
                Task.objects.create(company=company, workflow=workflow, name=f"task {n}")
        print(
            f"created {EVENTS} events / {Delivery.objects.count()} deliveries "
            f"(cluster stopped) in {time.monotonic() - started:.1f}s"
        )

        jobs = [
            (d.webhook.url, d.event.body.encode())
            for d in Delivery.objects.select_related("webhook", "event").order_by("id")
        ]
        base_rate = baseline(receiver, jobs)
        print(f"baseline requests.Session loop: {base_rate:.0f} requests/s")
        receiver.reset()

        cluster = ClusterProcess(workdir / "qcluster.log")
        cluster.start()
        total = len(jobs)
        wait_until(
            lambda: sum(receiver.count(p)[0] for p in paths) >= total,
            timeout=max(120, total / 20),
            message=f"{total} deliveries",
            interval=0.25,
        )
        time.sleep(1)  # anything beyond the expected count (duplicates) shows up too
        records = receiver.records()
        first = min(at for _, _, at in records)
        last = max(at for _, _, at in records)
        rate = len(records) / (last - first)
        print(
            f"qcluster (2 workers): {len(records)} requests, first->last {last - first:.1f}s = {rate:.0f}/s; "
            f"cluster start->last {last - cluster.started_at:.1f}s"
        )
        problems = order_problems(records, paths)
        pending = Delivery.objects.filter(state=Delivery.State.PENDING).count()
        failed = Delivery.objects.filter(state=Delivery.State.FAILED).count()
        print(f"order per webhook: {problems or 'OK'}; pending={pending} failed={failed}")
        ratio = rate / base_rate
        target = 0.8  # raised from 0.6 by engine v3's grouped commits (issue 22)
        ok = ratio >= target and not problems
        summary(
            "throughput",
            [
                f"{rate:.0f}/s vs baseline {base_rate:.0f}/s = {ratio:.2f}x "
                f"(target >={target}) {verdict(ok)}",
                f"order {'OK' if not problems else 'BROKEN'}",
            ],
        )
    finally:
        if cluster:
            cluster.stop()
        receiver.stop()


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
