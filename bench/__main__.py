"""Run all benchmarks, one process each, and print their SUMMARY lines and the total runtime.

    python -m bench                  # all, on SQLite + the ORM broker
    python -m bench capture panel    # some
    python -m bench --strict         # exit 1 when a target is missed (always 1 when one crashes)
    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench   # PostgreSQL / Redis

A benchmark's log output (stderr: Django, django-q2) goes to a temporary
file, shown only when the benchmark fails to run.
"""

import subprocess
import sys
import tempfile
import time

from bench.common import ROOT

BENCHMARKS = [
    "capture",
    "throughput",
    "latency",
    "panel",
    "memory",
    "scale",
    "ordering",
    "fanout",
    "isolation",
    "inflight",
]


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    names = [a for a in argv if not a.startswith("--")] or BENCHMARKS
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
        return 2
    summaries, crashed = [], []
    started = time.monotonic()
    for name in names:
        print(f"\n=== {name}", flush=True)
        began = time.monotonic()
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                [sys.executable, "-m", f"bench.{name}"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            assert process.stdout is not None  # stdout=PIPE
            for line in process.stdout:
                print(line, end="", flush=True)
                if line.startswith("SUMMARY "):
                    summaries.append(line.rstrip())
            process.wait()
            if process.returncode != 0:
                crashed.append(name)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-40:]
                print("\n".join(tail))
                print(f"!!! {name} exited with {process.returncode}")
        print(f"({name}: {time.monotonic() - began:.0f}s)")
    print("\n=== summary")
    for line in summaries:
        print(line)
    for name in crashed:
        print(f"SUMMARY {name}: CRASHED")
    print(f"total runtime: {time.monotonic() - started:.0f}s")
    if crashed:
        return 1
    if strict and any(" FAIL" in line for line in summaries):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
