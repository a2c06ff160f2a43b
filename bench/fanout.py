"""Benchmark 8 — fan-out to slow receivers (a target of engine v3, issue 22).

200 webhooks (task trigger, `webhook` mode, one workflow) whose receivers answer after 500 ms
(the loopback receiver's `?delay=`, a thread per request), and a running `qcluster` (Q_WORKERS,
default 2). Five tasks are created, one commit each: every one fans out to the 200 webhooks,
1,000 deliveries. Each webhook's five are sent one after the other, so no engine can do it in
less than 5 x 0.5 s = 2.5 s (the limit). Wall = first commit (an on_commit callback) -> the
last reply at the receiver. Checked at the receiver: each webhook got its five in order, once.

Also printed, sampled every half second: the peak of requests in progress at the receiver (all
webhooks together), the cluster's worker processes' peak RSS (VmHWM) and the database
connections the cluster holds (bench.common.ClusterSampler).

Target: wall <= 2x the limit (5 s). Today's engine sends at most Q_WORKERS requests at once,
so it needs about 1,000 x 0.5 s / 2 = 250 s: the wait is capped (BENCH_FANOUT_CAP seconds,
default 300) and, when the cap cuts it, the wall is projected from the delivery rate so far
and labelled so. BENCH_FANOUT_WEBHOOKS scales the run down (the target does not change: the
limit depends only on the five events per webhook).
"""

import os
import time
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

from bench.common import (
    ClusterSampler,
    receiver_and_cluster,
    run_with_workdir,
    summary,
    verdict,
)

WEBHOOKS = int(os.environ.get("BENCH_FANOUT_WEBHOOKS", 200))
EVENTS = 5
DELAY_MS = 500
CAP = float(os.environ.get("BENCH_FANOUT_CAP", 300))
WORKERS = os.environ.get("Q_WORKERS", "2")
LIMIT = EVENTS * DELAY_MS / 1000
TARGET = 2 * LIMIT


def stamp(times: list[float]) -> None:
    times.append(time.monotonic())


def run(workdir: Path) -> None:
    from django.db import transaction

    from events.models import Company, Task, Workflow
    from webhooks.models import Attempt, Delivery, Trigger, Webhook

    with receiver_and_cluster(workdir, Q_WORKERS=WORKERS) as (receiver, cluster):
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        company = Company.objects.create(name="Bench")
        workflow = Workflow.objects.create(company=company, name="Orders", code="orders")
        paths = [f"/f{i}" for i in range(WEBHOOKS)]
        Webhook.objects.bulk_create(
            Webhook(
                company=company,
                name=f"h{i}",
                code=f"h{i}",
                url=receiver.url(f"{path}?delay={DELAY_MS}"),
                trigger=Trigger.TASK,
                workflow=workflow,
            )
            for i, path in enumerate(paths)
        )
        total = WEBHOOKS * EVENTS
        cluster.start()
        sampler = ClusterSampler(cluster)
        sampler.sample()
        commits: list[float] = []
        for n in range(1, EVENTS + 1):
            with transaction.atomic():
                transaction.on_commit(partial(stamp, commits))
                Task.objects.create(company=company, workflow=workflow, name=f"task {n}")
        start = commits[0]
        print(
            f"{EVENTS} events x {WEBHOOKS} webhooks = {total} deliveries committed in "
            f"{(commits[-1] - start) * 1000:.0f} ms ({WORKERS} workers, receivers answer in {DELAY_MS} ms)"
        )
        capped = False
        last_print = start
        while True:
            flight = receiver.flight()
            sampler.sample()
            now = time.monotonic()
            if flight["ended"] >= total:
                break
            if now - start >= CAP:
                capped = True
                break
            if now - last_print >= 30:
                print(f"  {now - start:.0f}s: {flight['ended']} of {total} answered", flush=True)
                last_print = now
            time.sleep(0.5)
        cut_at = time.monotonic()
        if not capped:
            time.sleep(1)  # anything beyond the expected count (duplicates) shows up too
        answer = receiver.spans()
        spans = [s for s in answer["spans"] if s[0] in set(paths)]
        done = len(spans)
        peak = answer["peak_all"]
        by_path = defaultdict(list)
        for path, _, seq, _at, _ in sorted(spans, key=lambda s: s[3]):
            by_path[path].append(seq)
        wrong = [p for p, seqs in by_path.items() if seqs != list(range(1, len(seqs) + 1))]
        busy = sum(end - at for _, _, _, at, end in spans)
        if capped:
            elapsed = cut_at - start
            wall = elapsed * total / max(done, 1)
            print(
                f"capped at {CAP:.0f}s: {done} of {total} answered in {elapsed:.1f}s "
                f"({done / elapsed:.2f}/s); projected wall at that rate {wall:.0f}s"
            )
            result = f"projected {wall:.0f} s from {done} of {total} in {elapsed:.0f} s (capped)"
        else:
            wall = max(end for *_, end in spans) - start
            print(f"all {total} answered: first commit -> last reply {wall:.1f}s ({total / wall:.2f}/s)")
            result = f"wall {wall:.1f} s"
        print(
            f"requests in progress on average {busy / (cut_at - start):.2f}, peak {peak}; "
            f"order per webhook {'OK' if not wrong else f'BROKEN on {len(wrong)}'}"
        )
        for path in wrong[:3]:
            print(f"  {path} received, in order of arrival: {by_path[path]}")
        if not capped:
            states = Delivery.objects.exclude(state=Delivery.State.SUCCESS).count()
            resent = Attempt.objects.filter(after_lost_lease=True).count()
            print(f"deliveries not SUCCESS: {states}; attempts resent (a lease taken over): {resent}")
            failed = Counter(
                attempt.error or f"HTTP {attempt.status_code}"
                for attempt in Attempt.objects.exclude(status_code__range=(200, 299)).only(
                    "error", "status_code"
                )
            )
            if failed:  # each was retried WEBHOOK_RETRY_DELAY later: the wall shows it
                print(f"failed attempts (retried): {dict(failed.most_common(3))}")
        ok = not capped and wall <= TARGET and not wrong
        parts = [
            f"{total} deliveries to {WEBHOOKS} webhooks ({DELAY_MS} ms receivers, {WORKERS} workers) "
            f"{result} (limit {LIMIT:g} s; target <={TARGET:g} s) {verdict(ok)}",
            *sampler.report(peak),
        ]
        if wrong:
            parts.append(f"order BROKEN on {len(wrong)} webhooks")
        summary("fanout", parts)


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
