"""Benchmark 4 — panel scale.

Two companies in one scratch database:
  small: 10 webhooks; one of them ("a-logs", first by name) has 1,000 log rows;
  large: 1,000 webhooks; its "a-logs" has 1,000,000 log rows on PostgreSQL,
         100,000 on SQLite (BENCH_PANEL_ROWS overrides).
Log rows are spread over the last 30 days, 1 in 50 FAILED (status 500); each has its
own event (no measured page reads event bodies), about one of rows / 5 objects.

Pages, each requested by Django's test Client logged in as a staff user of
the company: the list (`/webhooks/`), the settings page of "a-logs" with its
first page of logs (`/webhooks/<pk>/`) and the logs fragment (HTMX GET of
`/webhooks/<pk>/logs/`). Median server time over interleaved requests, and
the number of SQL queries of one request of each.

The settings page also draws the delivery charts (webhooks.stats): every log row has one attempt
(its response time), the hourly roll-up is filled by running its task as the schedule would (the
first run, a week, then a steady-state run, both timed), and the charts' fragment is timed for
24 hours and 7 days, with the plans of its two reads on the large side.

Then the Logs filters on the same two webhooks: the fragment filtered by result
(`?result=failed`), by status (`?status=500`), by the last 7 days (`?from=...`), by the three
combined, the search by the id of the object an event is about (`?objectId=...`, the same 5 rows
on both sides: each object has 5 events), and that search through the API
(`GET /api/v3/webhook/subscription/logs/{id}?objectId=...`). On PostgreSQL the tables are
vacuumed after the load, as autovacuum does to an insert-heavy table; the plans of the large
side's count and page queries of the combined filter and the object search are printed.
The small side is the baseline, measured in the same run.

Target: large/small <= 1.3 with the same query count.
"""

import os
import time
from datetime import timedelta

from bench.common import django_setup, is_postgres, median, scratch_database, summary, verdict

REQUESTS = 25
TARGET = 1.3


SUBJECT_REPEAT = 5  # events about each object


def subject_id(k: int) -> str:
    """The `_id` of the k-th object the bench's events are about."""
    return f"a{k:023x}"


def log_rows_insert(webhook, rows: int) -> None:
    """Insert `rows` finished deliveries of `webhook`, one event each, in SQL (the ORM would
    take minutes for 1M). The events are about rows / 5 objects, each object's 5 events
    spread over the 30 days (`subject_id(k)`, k = (n - 1) mod rows / 5)."""
    from django.db import connection
    from django.utils import timezone

    from webhooks.models import Attempt, Delivery, Event

    table, events = Delivery._meta.db_table, Event._meta.db_table
    event_columns = "id, object_id, company_id, type, action, subject_id, body, created_at"
    base = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    subjects = max(rows // SUBJECT_REPEAT, 1)
    prefix = f"{Delivery.objects.count() + 1:02x}"[-2:]
    now = timezone.now()
    span = 30 * 86400
    with connection.cursor() as cursor:
        if is_postgres():
            series = """(SELECT x, %s::timestamptz - make_interval(secs => (%s - x) * %s) AS t
                         FROM generate_series(1, %s) AS x) AS g"""
            cursor.execute(
                f"""INSERT INTO {events} ({event_columns})
                    SELECT %s + x, %s || 'e' || lpad(to_hex(x), 21, '0'), %s, 'COTTask', 'edit',
                        'a' || lpad(to_hex((x - 1) %% %s), 23, '0'), '{{"bench":true}}', t
                    FROM {series}""",
                [base, prefix, webhook.company_id, subjects, now, rows, span / rows, rows],
            )
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{events}', 'id'), %s)", [base + rows])
            cursor.execute(
                f"""INSERT INTO {table} (object_id, company_id, webhook_id, event_id, kind, state, attempts,
                        next_attempt_at, status_code, response, response_truncated, created_at, completed_at)
                    SELECT %s || lpad(to_hex(x), 22, '0'), %s, %s, %s + x, 'event',
                        CASE WHEN x %% 50 = 0 THEN 'failed' ELSE 'success' END, 1, t,
                        CASE WHEN x %% 50 = 0 THEN 500 ELSE 200 END, '{{"ok":true}}', false, t, t
                    FROM {series}""",
                [prefix, webhook.company_id, webhook.pk, base, now, rows, span / rows, rows],
            )
        else:
            start = now.timestamp() - span
            series = (
                f"""WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {int(rows)})"""
            )
            when = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s + x * %s, 'unixepoch')"
            cursor.execute(
                f"""{series}
                    INSERT INTO {events} ({event_columns})
                    SELECT %s + x, printf('{prefix}e%%021x', x), %s, 'COTTask', 'edit',
                        printf('a%%023x', (x - 1) %% %s), '{{"bench":true}}', {when} FROM g""",
                [base, webhook.company_id, subjects, start, span / rows],
            )
            cursor.execute(
                f"""{series}
                    INSERT INTO {table} (object_id, company_id, webhook_id, event_id, kind, state, attempts,
                        next_attempt_at, status_code, response, response_truncated, created_at, completed_at)
                    SELECT printf('{prefix}%%022x', x), %s, %s, %s + x, 'event',
                        CASE WHEN x %% 50 = 0 THEN 'failed' ELSE 'success' END, 1, t,
                        CASE WHEN x %% 50 = 0 THEN 500 ELSE 200 END, '{{"ok":true}}', 0, t, t
                    FROM (SELECT x, {when} AS t FROM g)""",
                [webhook.company_id, webhook.pk, base, start, span / rows],
            )
        # One attempt per delivery, its response time spread over 20 ms - 1.8 s.
        cursor.execute(
            f"""INSERT INTO {Attempt._meta.db_table} (delivery_id, number, started_at, duration_ms,
                    status_code, response_body, response_truncated, error, request_headers, after_lost_lease)
                SELECT id, 1, created_at, 20 + (id * 37) %% 900 + (id %% 7) * 120, status_code, '', %s, '',
                    '{{}}', %s
                FROM {table} WHERE webhook_id = %s""",
            [False, False, webhook.pk],
        )
        if is_postgres():
            # What autovacuum does to an insert-heavy table (PostgreSQL 13+): statistics, and a
            # visibility map, so the capped counts can read their index alone.
            cursor.execute(f"VACUUM (ANALYZE) {events}")
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute(f"VACUUM (ANALYZE) {Attempt._meta.db_table}")
        else:
            cursor.execute("ANALYZE")


def company_build(name: str, webhooks: int, rows: int):
    from events.models import Company, User
    from webhooks.models import Webhook

    company = Company.objects.create(name=name)
    staff = User.objects.create_user(f"{name}@example.com", company=company, is_staff=True)
    Webhook.objects.bulk_create(
        Webhook(company=company, name=f"hook {i:04d}", code=f"hook_{i}", url=f"https://example.com/{i}")
        for i in range(webhooks - 1)
    )
    logs = Webhook.objects.create(company=company, name="a-logs", code="a_logs", url="https://example.com/a")
    started = time.monotonic()
    log_rows_insert(logs, rows)
    print(f"{name}: {webhooks} webhooks, {rows} log rows ({time.monotonic() - started:.1f}s to insert)")
    return staff, logs


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    default_rows = 1_000_000 if is_postgres() else 100_000
    large_rows = int(os.environ.get("BENCH_PANEL_ROWS", default_rows))
    sides = {"small": company_build("small", 10, 1000), "large": company_build("large", 1000, large_rows)}
    rollup_fill()
    clients = {}
    for side, (staff, _) in sides.items():
        clients[side] = Client()
        clients[side].force_login(staff)

    from django.utils import timezone

    from webhooks.models import ApiToken

    tokens = {
        side: ApiToken.objects.create(user=staff, name="bench")[1] for side, (staff, _) in sides.items()
    }
    week = (timezone.localdate() - timedelta(days=7)).isoformat()
    htmx = {"HTTP_HX_REQUEST": "true"}

    def logs(side: str, query: str = "") -> str:
        return f"/webhooks/{sides[side][1].pk}/logs/{query}"

    def api(side: str, query: str) -> tuple[str, dict]:
        path = f"/api/v3/webhook/subscription/logs/{sides[side][1].pk}{query}"
        return path, {"HTTP_AUTHORIZATION": f"Bearer {tokens[side]}"}

    # The same object on both sides: 5 events about it, one delivery each.
    subject = subject_id(1)
    pages = {
        "list": lambda side: ("/webhooks/", {}),
        "settings+logs": lambda side: (f"/webhooks/{sides[side][1].pk}/", {}),
        "logs fragment": lambda side: (logs(side), htmx),
        "charts 24h": lambda side: (f"/webhooks/{sides[side][1].pk}/charts/?range=24h", htmx),
        "charts 7d": lambda side: (f"/webhooks/{sides[side][1].pk}/charts/?range=7d", htmx),
        "logs failed": lambda side: (logs(side, "?result=failed"), htmx),
        "logs status": lambda side: (logs(side, "?status=500"), htmx),
        "logs 7 days": lambda side: (logs(side, f"?from={week}"), htmx),
        "logs combined": lambda side: (logs(side, f"?result=failed&status=500&from={week}"), htmx),
        "logs objectId": lambda side: (logs(side, f"?objectId={subject}"), htmx),
        "api objectId": lambda side: api(side, f"?objectId={subject}"),
    }
    parts = []
    print(f"{'page':<15} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'queries small/large':>20}")
    for page, target in pages.items():
        times: dict[str, list[float]] = {"small": [], "large": []}
        queries = {}
        for side in times:
            path, extra = target(side)
            for _ in range(3):  # warm-up
                assert clients[side].get(path, **extra).status_code == 200
            with CaptureQueriesContext(connection) as captured:
                clients[side].get(path, **extra)
            queries[side] = len(captured)
        for i in range(REQUESTS):
            for side in ("small", "large") if i % 2 else ("large", "small"):
                path, extra = target(side)
                started = time.perf_counter()
                response = clients[side].get(path, **extra)
                times[side].append(time.perf_counter() - started)
                assert response.status_code == 200
        small, large = median(times["small"]) * 1000, median(times["large"]) * 1000
        ratio = large / small
        same = queries["small"] == queries["large"]
        print(
            f"{page:<15} {small:>9.1f} {large:>9.1f} {ratio:>5.2f}x {queries['small']:>9}/{queries['large']}"
        )
        parts.append(
            f"{page} {ratio:.2f}x (target <={TARGET}) queries {queries['small']}/{queries['large']} "
            f"{verdict(ratio <= TARGET and same)}"
        )
    for side in ("small", "large"):
        path, extra = pages["logs objectId"](side)
        found = clients[side].get(path, **extra).content.decode().count("data-delivery=")
        assert found == SUBJECT_REPEAT, f"{side}: the object search found {found} rows"
    plans(clients["large"], {name: pages[name] for name in ("logs combined", "logs objectId")})
    plans(clients["large"], {"charts 7d": pages["charts 7d"]}, labels=("rolled-up hours", "live hours"))
    note = "" if is_postgres() else " (SQLite: 100,000 rather than 1,000,000)"
    print(f"large logs: {large_rows} rows{note}")
    summary("panel", parts)


def rollup_fill() -> None:
    """The charts' roll-up as production has it: its first run (the last 7 days of every
    webhook), then a steady-state run (the recent hours again), each timed."""
    from webhooks import stats

    for run in ("first", "steady-state"):
        started = time.monotonic()
        result = stats.deliveries_rollup()
        print(f"roll-up, {run} run: {time.monotonic() - started:.2f}s, {result['rows']} hour rows")


def plans(client, pages: dict, labels: tuple[str, str] = ("count", "page")) -> None:
    """The plans of the large side's last two queries of some pages (a filtered page's count and
    page; the charts' rolled-up and live hours)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    explain = "EXPLAIN (ANALYZE, COSTS OFF) " if is_postgres() else "EXPLAIN QUERY PLAN "
    for name, target in pages.items():
        path, extra = target("large")
        with CaptureQueriesContext(connection) as captured:
            client.get(path, **extra)
        for label, query in zip(labels, captured.captured_queries[-2:], strict=True):
            with connection.cursor() as cursor:
                cursor.execute(explain + query["sql"])
                lines = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
            print(f"plan, {name} {label} (large):\n  " + "\n  ".join(lines))


def main() -> None:
    with scratch_database():
        django_setup()
        run()


if __name__ == "__main__":
    main()
