"""Benchmark 9 — a healthy webhook beside hanging ones (a target of engine v3, issue 22).

A running `qcluster` (Q_WORKERS, default 2) and a loopback receiver (its own process, a thread
per request). One healthy webhook (task trigger, its own workflow) whose receiver answers at
once gets 10 task changes a second, each its own commit, paced on the clock. Measured per change,
as bench/latency.py does: commit (an on_commit callback registered first) -> the request's arrival
at the receiver, both on CLOCK_MONOTONIC.

1. Baseline: the healthy webhook alone for BENCH_ISOLATION_BASELINE_SECONDS (default 10).
2. Then 100 more webhooks (BENCH_ISOLATION_HANGING) on another workflow, whose receivers never
   answer: their `?delay=` outlasts the sender's hard deadline (WEBHOOK_TIMEOUT + the deadline
   slack), and the receiver drops a request when its sender hangs up, so none of its threads
   waits longer than that delay. One task change fans out to all 100; once the receiver holds
   hanging requests, the healthy webhook gets its 10 a second for BENCH_ISOLATION_SECONDS
   (default 30).

After the last change of a phase the benchmark waits at most BENCH_ISOLATION_GRACE seconds
(default 10) for the healthy webhook's requests. One that has not arrived by then counts with
the time waited so far: a lower bound, and a percentile that reaches such a value is printed
as ">=". Also printed: the peak of requests in progress at the receiver, the worker processes'
peak RSS and the database connections the cluster holds (bench.common.ClusterSampler).

Targets: with the hanging webhooks, p50 <= 50 ms and p99 <= 500 ms, and each within 2x of the
baseline's.
"""

import os
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import (
    ClusterSampler,
    ReceiverProcess,
    percentile,
    receiver_and_cluster,
    receiver_process,
    run_with_workdir,
    summary,
    verdict,
)

HANGING = int(os.environ.get("BENCH_ISOLATION_HANGING", 100))
SECONDS = float(os.environ.get("BENCH_ISOLATION_SECONDS", 30))
BASELINE_SECONDS = float(os.environ.get("BENCH_ISOLATION_BASELINE_SECONDS", 10))
GRACE = float(os.environ.get("BENCH_ISOLATION_GRACE", 10))
WORKERS = os.environ.get("Q_WORKERS", "2")
# Short enough that the hanging webhooks' retries start within the measured 30 s, after their
# first attempts' timeouts.
RETRY_DELAY = os.environ.get("WEBHOOK_RETRY_DELAY", "10")
RATE = 10  # healthy changes a second
P50_TARGET, P99_TARGET = 50, 500
HEALTHY = "/healthy"


def stamp(times: dict[int, float], seq: int) -> None:
    times[seq] = time.monotonic()


class Healthy:
    """The healthy webhook's producer and its latencies."""

    def __init__(self, company, workflow, receiver: ReceiverProcess, sampler: ClusterSampler) -> None:
        self.company, self.workflow = company, workflow
        self.receiver, self.sampler = receiver, sampler
        self.seq = 0

    def phase(self, seconds: float, label: str) -> dict:
        """RATE changes a second for `seconds`, then wait up to GRACE for their requests."""
        from django.db import transaction

        from events.models import Task

        commits: dict[int, float] = {}
        first = self.seq + 1
        count = round(seconds * RATE)
        began = time.monotonic()
        sampled = began
        for k in range(count):
            pause = began + k / RATE - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.seq += 1
            with transaction.atomic():
                transaction.on_commit(partial(stamp, commits, self.seq))
                Task.objects.create(company=self.company, workflow=self.workflow, name=f"h {self.seq}")
            if time.monotonic() - sampled >= 1:
                self.sampler.sample()
                sampled = time.monotonic()
        produced = time.monotonic() - began
        wanted = set(range(first, self.seq + 1))
        deadline = time.monotonic() + GRACE
        while True:
            records = self.receiver.records()
            arrived = {seq: at for path, seq, at in records if path == HEALTHY and seq in wanted}
            cut = time.monotonic()
            if len(arrived) >= len(wanted) or cut >= deadline:
                break
            self.sampler.sample()
            time.sleep(0.25)
        values = []  # (ms, arrived?)
        for seq in sorted(wanted):
            if seq in arrived:
                values.append(((arrived[seq] - commits[seq]) * 1000, True))
            else:
                values.append(((cut - commits[seq]) * 1000, False))
        late = sum(1 for _, ok in values if not ok)
        # When the slowest arrived in the phase tells which burst they waited behind.
        slowest = sorted(zip((v for v, _ in values), sorted(wanted), strict=True), reverse=True)[:5]
        when = ", ".join(f"{ms:.0f} ms at {commits[seq] - began:.1f}s" for ms, seq in slowest)
        result: dict[str | int, Any] = {"count": count, "late": late, "values": values}
        for q in (50, 99):
            value = percentile([v for v, _ in values], q)
            lower_bound = any(not ok and v <= value for v, ok in values)
            result[q] = (value, lower_bound)
        firsts = sorted(arrived.values())
        first_arrival = f"{(firsts[0] - began):.2f}s" if firsts else "none"
        print(
            f"{label}: {count} changes in {produced:.1f}s; {count - late} requests arrived "
            f"(the first {first_arrival} after the phase began), "
            f"{late} not within {GRACE:g}s after the last; "
            f"p50 {fmt(result[50])}, p99 {fmt(result[99])}, "
            f"max {max(v for v, _ in values):.0f} ms{' (or more)' if late else ''}; the slowest: {when}",
            flush=True,
        )
        return result


def fmt(value: tuple[float, bool]) -> str:
    ms, lower_bound = value
    return f"{'>=' if lower_bound else ''}{ms:.0f} ms"


def run(workdir: Path) -> None:
    from django.conf import settings
    from django.db import transaction

    from events.models import Company, Task, Workflow
    from webhooks.engine.http import attempt_max_seconds
    from webhooks.models import Trigger, Webhook

    hang_ms = round((attempt_max_seconds() + 5) * 1000)
    # The hanging webhooks' receivers are another server, as they would be: one process holding a
    # hundred requests (and accepting a hundred at once when they retry) must not be the one whose
    # arrival times measure the healthy webhook.
    with (
        receiver_and_cluster(workdir, Q_WORKERS=WORKERS, WEBHOOK_RETRY_DELAY=RETRY_DELAY) as (
            receiver,
            cluster,
        ),
        receiver_process() as stuck_receiver,
    ):
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"WEBHOOK_TIMEOUT {settings.WEBHOOK_TIMEOUT:g}s (hard deadline {attempt_max_seconds():g}s); "
            f"hanging receivers hold a request {hang_ms / 1000:g}s or until the sender hangs up; "
            f"{WORKERS} workers"
        )
        company = Company.objects.create(name="Bench")
        healthy_flow = Workflow.objects.create(company=company, name="Healthy", code="healthy")
        stuck_flow = Workflow.objects.create(company=company, name="Stuck", code="stuck")
        Webhook.objects.create(
            company=company,
            name="healthy",
            code="healthy",
            url=receiver.url(f"{HEALTHY}?delay=0"),
            trigger=Trigger.TASK,
            workflow=healthy_flow,
        )
        cluster.start()
        sampler = ClusterSampler(cluster)
        healthy = Healthy(company, healthy_flow, receiver, sampler)
        # Warm-up: the first requests open connections and import what the drain needs.
        healthy.phase(1, "warm-up")
        base = healthy.phase(BASELINE_SECONDS, "baseline (no hanging webhook)")
        base_peak = receiver.flight()["peak_all"]
        receiver.reset()

        Webhook.objects.bulk_create(
            Webhook(
                company=company,
                name=f"stuck {i}",
                code=f"stuck_{i}",
                url=stuck_receiver.url(f"/stuck{i}?delay={hang_ms}"),
                trigger=Trigger.TASK,
                workflow=stuck_flow,
            )
            for i in range(HANGING)
        )
        with transaction.atomic():
            Task.objects.create(company=company, workflow=stuck_flow, name="stuck 1")
        began = time.monotonic()
        while stuck_receiver.flight()["in_flight_all"] < HANGING and time.monotonic() - began < 30:
            time.sleep(0.05)
        print(
            f"{HANGING} hanging webhooks, one change each: {stuck_receiver.flight()['in_flight_all']} "
            f"hanging requests in progress after {time.monotonic() - began:.2f}s"
        )
        hung = healthy.phase(SECONDS, f"with {HANGING} hanging webhooks")
        flight = stuck_receiver.flight()
        stuck = sum(1 for path, _, _ in stuck_receiver.records() if path.startswith("/stuck"))
        print(
            f"hanging webhooks: {stuck} requests arrived, {flight['hung_up']} of them given up by the "
            f"sender, {flight['in_flight_all']} in progress at the end"
        )
        p50, p99 = hung[50][0], hung[99][0]
        b50, b99 = base[50][0], base[99][0]
        checks = {
            f"p50 <={P50_TARGET} ms": p50 <= P50_TARGET and not hung[50][1],
            f"p99 <={P99_TARGET} ms": p99 <= P99_TARGET and not hung[99][1],
            "within 2x of the baseline": p50 <= 2 * b50 and p99 <= 2 * b99 and not hung["late"],
        }
        print("checks: " + ", ".join(f"{name} {'OK' if ok else 'MISSED'}" for name, ok in checks.items()))
        parts = [
            f"healthy webhook at {RATE}/s beside {HANGING} hanging: "
            f"p50 {fmt(hung[50])}, p99 {fmt(hung[99])}, "
            f"{hung['late']} of {hung['count']} not arrived {GRACE:g}s after the last "
            f"(alone: p50 {fmt(base[50])}, p99 {fmt(base[99])}) "
            f"(target p50 <={P50_TARGET} ms, p99 <={P99_TARGET} ms, within 2x of alone) "
            f"{verdict(all(checks.values()))}",
            f"WEBHOOK_TIMEOUT {settings.WEBHOOK_TIMEOUT:g}s, WEBHOOK_RETRY_DELAY {RETRY_DELAY}s",
            *sampler.report(max(base_peak, flight["peak_all"] + receiver.flight()["peak_all"])),
        ]
        summary("isolation", parts)


def main() -> None:
    run_with_workdir(run)


if __name__ == "__main__":
    main()
