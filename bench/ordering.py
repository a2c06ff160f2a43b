"""Benchmark 7 — keyed order: `object` mode against `webhook` mode, with a slow receiver.

A loopback receiver (its own process, a thread per request) answers every POST with 200 after
50 ms. Two phases, one after the other, each with its events created while the cluster is
stopped, then delivered by a real `qcluster` with 2 workers, which is stopped again:

1. `webhook` mode (the baseline): 40 tasks, each created then edited 4 times = 200 events, one
   delivery in flight at a time.
2. `object` mode, `max_in_flight` 8: 200 tasks, each created then edited 4 times = 1,000 events
   (the edits in rounds, the tasks of a round in a shuffled order).

Rate = events / (last request - first request) at the receiver, per phase. Checked at the
receiver, for both phases: each task's events arrive in capture order, all of them, once (the
edit number ends the task's name); no task has two requests in progress at once; at most 8
requests in progress at once in `object` mode, exactly 1 in `webhook` mode. Also printed: how
many requests were in progress on average, and the time from a reply to the next request about
the same task (the drain's record and send between two of a task's deliveries).

Target: `object` mode's rate >= 6x `webhook` mode's, in the same run, with every check met.
"""

import bisect
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

from bench.common import (
    ClusterProcess,
    ReceiverProcess,
    run_with_workdir,
    summary,
    verdict,
    wait_until,
)

OBJECTS = int(os.environ.get("BENCH_ORDERING_OBJECTS", 200))
WEBHOOK_OBJECTS = int(os.environ.get("BENCH_ORDERING_WEBHOOK_OBJECTS", 40))
EDITS = 4  # events per task: one create, then this many edits
DELAY_MS = 50
MAX_IN_FLIGHT = 8
TARGET = 6.0


def create_events(company, workflow, prefix: str, objects: int) -> int:
    """`objects` tasks created, then edited EDITS times in rounds; returns the number of events."""
    from django.db import transaction

    from events.models import Task

    tasks = []
    for n in range(objects):
        with transaction.atomic():
            tasks.append((n, Task.objects.create(company=company, workflow=workflow, name=f"{prefix}{n} e0")))
    shuffle = random.Random(14)
    for edit in range(1, EDITS + 1):
        order = tasks[:]
        shuffle.shuffle(order)
        for n, task in order:
            task.name = f"{prefix}{n} e{edit}"
            with transaction.atomic():
                task.save()
    return objects * (EDITS + 1)


def deliver(workdir: Path, receiver: ReceiverProcess, path: str, expected: int, label: str) -> None:
    """Start the cluster, wait for `expected` requests on `path` (and a second for any extra), stop it."""
    cluster = ClusterProcess(workdir / f"qcluster-{label}.log")
    cluster.start()
    try:
        wait_until(
            lambda: receiver.count(path)[0] >= expected,
            timeout=max(120, expected * DELAY_MS / 1000 * 2),
            message=f"{expected} requests on {path}",
            interval=0.25,
        )
        time.sleep(1)  # anything beyond the expected count (duplicates) shows up too
    finally:
        cluster.stop()
    print(f"{label}: cluster start->last request {receiver.count(path)[1] - cluster.started_at:.1f}s")


def measure(spans: list, path: str, objects: int, label: str) -> dict:
    """Rate and checks for one phase, from the receiver's spans of `path`."""
    mine = sorted((s for s in spans if s[0] == path), key=lambda s: s[3])
    first, last = mine[0][3], mine[-1][3]
    rate = len(mine) / (last - first)
    by_object = defaultdict(list)
    for _, subject, seq, at, end in mine:
        by_object[subject].append((seq, at, end))
    problems = []
    wanted = list(range(EDITS + 1))
    wrong = [subject for subject, seen in by_object.items() if [seq for seq, _, _ in seen] != wanted]
    if wrong:
        example = [seq for seq, _, _ in by_object[wrong[0]]]
        problems.append(f"{len(wrong)} objects not in capture order or not exactly once (e.g. {example})")
    if len(by_object) != objects or None in by_object:
        problems.append(f"{len(by_object)} objects seen, {objects} expected")
    # The sender's own time: from a reply to the next request it sends (in `webhook` mode, the
    # drain's record and the next send; in `object` mode, the first request after each reply).
    arrivals = [s[3] for s in mine]
    gaps = []
    for _, _, _, _, end in mine:
        after = bisect.bisect_right(arrivals, end)
        if after < len(arrivals):
            gaps.append((arrivals[after] - end) * 1000)
    gaps.sort()
    busy = sum(end - at for _, _, _, at, end in mine)
    in_progress = busy / (max(s[4] for s in mine) - first)
    reply_ms = statistics.median((end - at) * 1000 for _, _, _, at, end in mine)
    print(
        f"{label}: {len(mine)} requests about {len(by_object)} tasks, first->last {last - first:.2f}s "
        f"= {rate:.1f}/s; in progress on average {in_progress:.2f}; "
        f"receiver's reply p50 {reply_ms:.1f} ms; reply -> next request "
        f"p50 {gaps[len(gaps) // 2]:.1f} ms, p95 {gaps[int(len(gaps) * 0.95)]:.1f} ms"
    )
    return {"rate": rate, "problems": problems}


def run(workdir: Path) -> None:
    from events.models import Company, Workflow
    from webhooks.models import Delivery, Ordering, Trigger, Webhook

    receiver = ReceiverProcess()
    try:
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        company = Company.objects.create(name="Bench")
        phases = [
            ("webhook", Ordering.WEBHOOK, WEBHOOK_OBJECTS),
            ("object", Ordering.OBJECT, OBJECTS),
        ]
        results = {}
        for label, ordering, objects in phases:
            workflow = Workflow.objects.create(company=company, name=label, code=label)
            path = f"/{label}"
            Webhook.objects.create(
                company=company,
                name=label,
                code=label,
                url=receiver.url(f"{path}?delay={DELAY_MS}"),
                trigger=Trigger.TASK,
                workflow=workflow,
                ordering=ordering,
                max_in_flight=MAX_IN_FLIGHT,
            )
            started = time.monotonic()
            events = create_events(company, workflow, label[0], objects)
            took = time.monotonic() - started
            print(f"{label} mode: created {events} events (cluster stopped) in {took:.1f}s")
            deliver(workdir, receiver, path, events, f"{label} mode")
            results[label] = (path, objects, events)

        answer = receiver.spans()
        measured = {
            label: measure(answer["spans"], path, objects, f"{label} mode")
            for label, (path, objects, _) in results.items()
        }
        peak = {label: answer["peak"].get(path, 0) for label, (path, _, _) in results.items()}
        overlaps = {
            label: sum(1 for p, _ in answer["overlaps"] if p == path)
            for label, (path, _, _) in results.items()
        }
        checks = {
            "webhook-mode order": not measured["webhook"]["problems"],
            "object-mode order": not measured["object"]["problems"],
            "webhook-mode peak 1": peak["webhook"] == 1,
            f"object-mode peak <= {MAX_IN_FLIGHT}": 1 <= peak["object"] <= MAX_IN_FLIGHT,
            "no task twice in flight": not overlaps["webhook"] and not overlaps["object"],
            "all delivered": not Delivery.objects.exclude(state=Delivery.State.SUCCESS).exists(),
        }
        for label in results:
            print(
                f"{label} mode: order {measured[label]['problems'] or 'OK'}; peak in flight {peak[label]}; "
                f"a task twice in flight {overlaps[label]} times"
            )
        print("checks: " + ", ".join(f"{name} {'OK' if ok else 'BROKEN'}" for name, ok in checks.items()))
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        object_rate, webhook_rate = measured["object"]["rate"], measured["webhook"]["rate"]
        ratio = object_rate / webhook_rate
        ok = ratio >= TARGET and all(checks.values())
        in_order = checks["webhook-mode order"] and checks["object-mode order"]
        broken = [name for name, good in checks.items() if not good]
        summary(
            "ordering",
            [
                f"object mode (max_in_flight {MAX_IN_FLIGHT}) {object_rate:.1f}/s vs webhook mode "
                f"{webhook_rate:.1f}/s = {ratio:.2f}x (target >={TARGET:g}x, {DELAY_MS} ms receiver) "
                f"{verdict(ok)}",
                f"peak in flight {peak['object']} (webhook mode {peak['webhook']})",
                f"order per object {'OK' if in_order else 'BROKEN'}",
                f"checks {'OK' if not broken else 'BROKEN: ' + ', '.join(broken)}",
            ],
        )
    finally:
        receiver.stop()


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
