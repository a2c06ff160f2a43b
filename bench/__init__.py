"""Benchmarks (issue 6). Run them all with `python -m bench`; one with `python -m bench.<name>`.

Each benchmark runs in its own process, creates its own scratch database
(a SQLite file in a temporary directory, or a fresh PostgreSQL database
`bench_<random>` when DATABASE_URL points at PostgreSQL), migrates it, and
ends with one `SUMMARY <name>: ...` line. Ratios are always taken against a
baseline measured in the same run, because the machine is shared.
"""
