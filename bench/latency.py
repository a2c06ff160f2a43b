"""Benchmark 3 — latency from commit to request.

One task change at a time with one matching webhook and a running qcluster
(2 workers): the time from the commit (an on_commit callback registered
first, so it runs first) to the request's arrival at the loopback receiver
(its own process; both read CLOCK_MONOTONIC). 200 samples, a random pause
of 20-60 ms between them so the samples fall at random points of the
broker's poll cycle. p50 and p95.

Targets: p50 <= 100 ms with the ORM broker (Q_POLL 0.05 s), <= 25 ms with Redis.
"""

import os
import random
import time
from functools import partial
from pathlib import Path

from bench.common import (
    is_redis,
    percentile,
    receiver_and_cluster,
    run_with_workdir,
    summary,
    verdict,
)


def stamp(times: list[float]) -> None:
    times.append(time.monotonic())


SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", 200))


def run(workdir: Path) -> None:
    from django.db import transaction

    from events.models import Company, Task, Workflow
    from webhooks.models import Trigger, Webhook

    with receiver_and_cluster(workdir) as (receiver, cluster):
        company = Company.objects.create(name="Bench")
        workflow = Workflow.objects.create(company=company, name="Orders", code="orders")
        Webhook.objects.create(
            company=company,
            name="h",
            code="h",
            url=receiver.url("/hook"),
            trigger=Trigger.TASK,
            workflow=workflow,
        )
        cluster.start()
        warmup = 5
        latencies = []
        for n in range(1, SAMPLES + warmup + 1):
            committed: list[float] = []
            with transaction.atomic():
                transaction.on_commit(partial(stamp, committed))
                Task.objects.create(company=company, workflow=workflow, name=f"task {n}")
            deadline = time.monotonic() + 30
            while True:
                count, last = receiver.count("/hook")
                if count >= n:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"request {n} did not arrive within 30 s")
                time.sleep(0.002)
            if n > warmup:
                latencies.append((last - committed[0]) * 1000)
            time.sleep(random.uniform(0.02, 0.06))
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(
            f"{len(latencies)} samples (after {warmup} warm-up): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"min {min(latencies):.1f} ms, max {max(latencies):.1f} ms"
        )
        target = 25 if is_redis() else 100
        summary(
            "latency", [f"p50 {p50:.0f} ms (target <={target}) {verdict(p50 <= target)}", f"p95 {p95:.0f} ms"]
        )


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
