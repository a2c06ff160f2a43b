"""Benchmark 4 — panel scale.

Two companies in one scratch database:
  small: 10 webhooks; one of them ("a-logs", first by name) has 1,000 log rows;
  large: 1,000 webhooks; its "a-logs" has 1,000,000 log rows on PostgreSQL,
         100,000 on SQLite (BENCH_PANEL_ROWS overrides).
Log rows are spread over the last 30 days, 1 in 50 FAILED; they share one
event per 1,000 rows (no measured page reads event bodies).

Pages, each requested by Django's test Client logged in as a staff user of
the company: the list (`/webhooks/`), the settings page of "a-logs" with its
first page of logs (`/webhooks/<pk>/`) and the logs fragment (HTMX GET of
`/webhooks/<pk>/logs/`). Median server time over interleaved requests, and
the number of SQL queries of one request of each.

Target: large/small <= 1.3 with the same query count.
"""

import os
import time

from bench.common import django_setup, is_postgres, median, scratch_database, summary, verdict

REQUESTS = 25
TARGET = 1.3


def log_rows_insert(webhook, rows: int) -> None:
    """Insert `rows` finished deliveries of `webhook` in SQL (the ORM would take minutes for 1M)."""
    from django.db import connection
    from django.utils import timezone

    from webhooks.models import Delivery, Event

    events = Event.objects.bulk_create(
        Event(company_id=webhook.company_id, type="COTTask", action="edit", body='{"bench":true}')
        for _ in range((rows + 999) // 1000)
    )
    ids = (
        sorted(e.pk for e in events)
        if events[0].pk
        else list(Event.objects.order_by("-id").values_list("id", flat=True)[: len(events)])[::-1]
    )
    assert ids == list(range(ids[0], ids[0] + len(ids))), "event ids must be contiguous"
    table = Delivery._meta.db_table
    prefix = f"{Delivery.objects.count() + 1:02x}"[-2:]
    now = timezone.now()
    span = 30 * 86400
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"""INSERT INTO {table} (object_id, company_id, webhook_id, event_id, kind, state, attempts,
                        next_attempt_at, status_code, response, response_truncated, created_at, completed_at)
                    SELECT %s || lpad(to_hex(x), 22, '0'), %s, %s, %s + (x - 1) / 1000, 'event',
                        CASE WHEN x %% 50 = 0 THEN 'failed' ELSE 'success' END, 1, t,
                        CASE WHEN x %% 50 = 0 THEN 500 ELSE 200 END, '{{"ok":true}}', false, t, t
                    FROM (SELECT x, %s::timestamptz - make_interval(secs => (%s - x) * %s) AS t
                          FROM generate_series(1, %s) AS x) AS g""",
                [prefix, webhook.company_id, webhook.pk, ids[0], now, rows, span / rows, rows],
            )
        else:
            start = now.timestamp() - span
            cursor.execute(
                f"""WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %s)
                    INSERT INTO {table} (object_id, company_id, webhook_id, event_id, kind, state, attempts,
                        next_attempt_at, status_code, response, response_truncated, created_at, completed_at)
                    SELECT printf('%s%%022x', x), %s, %s, %s + (x - 1) / 1000, 'event',
                        CASE WHEN x %% 50 = 0 THEN 'failed' ELSE 'success' END, 1, t,
                        CASE WHEN x %% 50 = 0 THEN 500 ELSE 200 END, '{{"ok":true}}', 0, t, t
                    FROM (SELECT x, strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s + x * %s, 'unixepoch') AS t
                          FROM g)""".replace("printf('%s", f"printf('{prefix}"),
                [rows, webhook.company_id, webhook.pk, ids[0], start, span / rows],
            )
        if is_postgres():
            cursor.execute(f"ANALYZE {table}")
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
    clients = {}
    for side, (staff, _) in sides.items():
        clients[side] = Client()
        clients[side].force_login(staff)

    pages = {
        "list": lambda side: ("/webhooks/", {}),
        "settings+logs": lambda side: (f"/webhooks/{sides[side][1].pk}/", {}),
        "logs fragment": lambda side: (f"/webhooks/{sides[side][1].pk}/logs/", {"HTTP_HX_REQUEST": "true"}),
    }
    parts = []
    print(f"{'page':<15} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'queries small/large':>20}")
    for page, target in pages.items():
        times = {"small": [], "large": []}
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
    note = "" if is_postgres() else " (SQLite: 100,000 rather than 1,000,000)"
    print(f"large logs: {large_rows} rows{note}")
    summary("panel", parts)


def main() -> None:
    with scratch_database():
        django_setup()
        run()


if __name__ == "__main__":
    main()
