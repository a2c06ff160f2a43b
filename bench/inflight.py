"""Benchmark 10 — one worker process with 500 requests in flight (a target of engine v3, issue 22).

One `qcluster` with a single worker (Q_WORKERS=1), WEBHOOK_CONCURRENCY and WEBHOOK_MAX_PER_HOST
at BENCH_INFLIGHT (default 500), and that many webhooks (task trigger, `webhook` mode, one
workflow) whose receivers hold each request BENCH_INFLIGHT_HOLD seconds (default 20) before
answering. One task change fans out to all of them; the benchmark waits (at most 60 s) until the
receiver holds BENCH_INFLIGHT requests at once, samples the cluster while they are held, then
waits for every reply.

Printed: the worker's RSS (VmRSS) when idle before the change, in the same run (the baseline),
and its peak (VmHWM) with the requests held; the database connections the cluster held (on
PostgreSQL from the sockets and pg_stat_activity, bench.common.ClusterSampler); how long the
worker took to have them all in flight.

Targets (issue 22): RSS <= 300 MB per worker process at 500 in flight; <= 4 database
connections per worker process.
"""

import os
import time
from pathlib import Path

from bench.common import (
    ClusterSampler,
    proc_status_kib,
    receiver_and_cluster,
    run_with_workdir,
    summary,
    verdict,
)

IN_FLIGHT = int(os.environ.get("BENCH_INFLIGHT", 500))
HOLD_SECONDS = float(os.environ.get("BENCH_INFLIGHT_HOLD", 20))
RSS_TARGET_MB, CONNECTIONS_TARGET = 300, 4


def run(workdir: Path) -> None:
    from django.db import transaction

    from events.models import Company, Task, Workflow
    from webhooks.models import Delivery, Trigger, Webhook

    with receiver_and_cluster(
        workdir,
        Q_WORKERS="1",
        WEBHOOK_CONCURRENCY=str(IN_FLIGHT),
        WEBHOOK_MAX_PER_HOST=str(IN_FLIGHT),
        # The held requests must not time out: the hold plus slack.
        WEBHOOK_TIMEOUT=str(int(HOLD_SECONDS) + 10),
    ) as (receiver, cluster):
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        company = Company.objects.create(name="Bench")
        workflow = Workflow.objects.create(company=company, name="Orders", code="orders")
        Webhook.objects.bulk_create(
            Webhook(
                company=company,
                name=f"held {i}",
                code=f"held_{i}",
                url=receiver.url(f"/held{i}?delay={round(HOLD_SECONDS * 1000)}"),
                trigger=Trigger.TASK,
                workflow=workflow,
            )
            for i in range(IN_FLIGHT)
        )
        cluster.start()
        sampler = ClusterSampler(cluster)
        sampler.sample()
        (worker,) = cluster.worker_pids()  # "running." is logged once the workers are ready
        idle_mb = proc_status_kib(worker, "VmRSS") * 1024 / 1e6
        with transaction.atomic():
            Task.objects.create(company=company, workflow=workflow, name="fans out")
        began = time.monotonic()
        while receiver.flight()["in_flight_all"] < IN_FLIGHT and time.monotonic() - began < 60:
            sampler.sample()
            time.sleep(0.5)
        ramp = time.monotonic() - began
        held = receiver.flight()["in_flight_all"]
        for _ in range(4):  # while they are held
            sampler.sample()
            time.sleep(0.5)
        print(f"{held} requests in flight at once after {ramp:.1f}s (idle worker RSS {idle_mb:.0f} MB)")
        deadline = time.monotonic() + HOLD_SECONDS + 60
        while Delivery.objects.filter(state=Delivery.State.SUCCESS).count() < IN_FLIGHT:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        done = Delivery.objects.filter(state=Delivery.State.SUCCESS).count()
        print(f"{done} of {IN_FLIGHT} deliveries SUCCESS at the end")
        peak = receiver.flight()["peak_all"]
        sampler.report(peak)  # prints the per-process lines
        rss = sampler.worker_peak_mb()
        ok = peak >= IN_FLIGHT and rss <= RSS_TARGET_MB and sampler.conns_per_worker <= CONNECTIONS_TARGET
        summary(
            "inflight",
            [
                f"one worker with {peak} requests in flight (of {IN_FLIGHT}; all held after {ramp:.1f}s): "
                f"peak RSS {rss:.0f} MB (idle {idle_mb:.0f} MB; target <={RSS_TARGET_MB} MB), "
                f"{sampler.conns_per_worker} DB connections (target <={CONNECTIONS_TARGET}) "
                f"{verdict(ok and done == IN_FLIGHT)}",
            ],
        )


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
