"""The settings page's delivery charts: the geometry of two inline SVGs and their table, drawn
on the server from webhooks.stats (no JavaScript). Deliveries per hour as stacked bars (SUCCESS,
FAILED, PENDING) and the p50/p95 response time per hour as two lines, in the administrator's
time zone. Coordinates are formatted here, as text: a template would localize "12.5" to "12,5".
"""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from webhooks.stats import BUCKETS, DURATION_EDGES, HourStat, WebhookHours, percentile_bucket, webhook_hours
from webhooks.templatetags.panel_time import zone_label

RANGES = {"24h": 24, "7d": 168}
DEFAULT_RANGE = "24h"
WIDTH, LEFT, RIGHT, TOP, BOTTOM = 720, 52, 12, 10, 26
COUNT_HEIGHT, TIME_HEIGHT = 180, 130
SERIES = ("success", "failed", "pending")
# Response-time axis ticks: bucket edges (ms) that get a gridline and a label.
TIME_TICKS = (10, 100, 1000, 10000)


def range_of(value: str | None) -> str:
    return value if value in RANGES else DEFAULT_RANGE


def _n(value: float) -> str:
    return f"{value:.1f}"


def duration_label(bucket: int | None) -> str:
    """A percentile's bucket as text: "< 150 ms", "< 1.5 s", "≥ 30 s"; "—" when there is none."""
    if bucket is None:
        return "—"
    edge = DURATION_EDGES[min(bucket, len(DURATION_EDGES) - 1)]
    if edge < 1000:
        amount = f"{edge} ms"
    elif edge % 1000 == 0:
        amount = f"{edge // 1000} s"
    else:
        amount = f"{formats.number_format(edge / 1000, decimal_pos=1)} s"  # "1.5 s", "1,5 s"
    return f"< {amount}" if bucket < len(DURATION_EDGES) else f"≥ {amount}"


def _nice_top(value: int) -> int:
    """The count axis' top: the smallest of 1, 2, 5 x 10^k at or above the highest bar."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def _when(value: datetime) -> str:
    """An hour for a sentence, in the panel's zone, named: "05/10 14:00 CET"."""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, pgettext('chart hour', 'm/d H:i'))} {zone_label(local)}"


def _hour_label(local: datetime, key: str) -> str:
    if key == "7d":
        return formats.date_format(local, pgettext("chart axis day", "D j")) if local.hour == 0 else ""
    return formats.date_format(local, "H:i") if local.hour % 6 == 0 else ""


def _tip(stat: HourStat, when: str) -> str:
    """A bar's tooltip (its SVG <title>), made here once rather than by the template 168 times."""
    if not stat.counted:
        return f"{when}: {_('not counted yet')}"
    counts = {"success": stat.counts.success, "failed": stat.counts.failed, "pending": stat.counts.pending}
    return f"{when}: " + _("%(success)s successful, %(failed)s failed, %(pending)s pending") % counts


def _bar(stat: HourStat, i: int, slot: float, scale: float, hour_format: str) -> dict:
    width = max(slot * 0.72, 1.0)
    x, bottom = LEFT + i * slot + (slot - width) / 2, TOP + COUNT_HEIGHT
    segments = []
    for name in SERIES:
        value = getattr(stat.counts, name)
        if value:
            bottom -= value * scale
            segments.append({"css": name, "y": _n(bottom), "height": _n(value * scale)})
    local = timezone.localtime(stat.hour)
    p50, p95 = percentile_bucket(stat.counts.durations, 0.5), percentile_bucket(stat.counts.durations, 0.95)
    return {
        "x": _n(x),
        "width": _n(width),
        "center": _n(x + width / 2),
        "segments": segments,
        "counted": stat.counted,
        "missing_y": _n(TOP),
        "missing_height": _n(COUNT_HEIGHT),
        "iso": stat.hour.isoformat(),
        "when": formats.date_format(local, hour_format),
        "counts": stat.counts,
        "p50": p50,
        "p95": p95,
        "p50_label": duration_label(p50),
        "p95_label": duration_label(p95),
    }


def _time_y(bucket: int) -> float:
    """Buckets are about 1.5x apart, so their index is a logarithmic axis."""
    return TOP + TIME_HEIGHT - (bucket + 0.5) / BUCKETS * TIME_HEIGHT


def _lines(bars: list[dict], name: str) -> list[str]:
    """The polylines of one percentile: a line through consecutive hours that have one."""
    lines: list[str] = []
    points: list[str] = []
    for bar in bars:
        if bar[name] is None:
            if points:
                lines.append(" ".join(points))
            points = []
        else:
            points.append(f"{bar['center']},{_n(_time_y(bar[name]))}")
    if points:
        lines.append(" ".join(points))
    return lines


def _axes(top: int) -> dict:
    count_ticks = [
        {"y": _n(TOP + COUNT_HEIGHT - COUNT_HEIGHT * part), "label": str(round(top * part))}
        for part in (0, 0.5, 1)
        if part == 0 or round(top * part) == top * part
    ]
    time_ticks = []
    for edge in TIME_TICKS:
        bucket = DURATION_EDGES.index(edge)
        y = TOP + TIME_HEIGHT - (bucket + 1) / BUCKETS * TIME_HEIGHT  # the edge: the bucket's top
        time_ticks.append({"y": _n(y), "label": f"{edge} ms" if edge < 1000 else f"{edge // 1000} s"})
    return {"count_ticks": count_ticks, "time_ticks": time_ticks}


def _summary(hours: WebhookHours) -> dict:
    total = hours.total
    p50, p95 = percentile_bucket(total.durations, 0.5), percentile_bucket(total.durations, 0.95)
    return {"total": total, "p50_label": duration_label(p50), "p95_label": duration_label(p95)}


def webhook_charts(*, webhook_id: str, key: str, now: datetime | None = None) -> dict:
    """Everything the `charts` partial draws for a webhook and a range ("24h", "7d")."""
    hours = webhook_hours(webhook_id=webhook_id, hours=RANGES[key], now=now)
    slot = (WIDTH - LEFT - RIGHT) / len(hours.hours)
    top = _nice_top(max((h.counts.total for h in hours.hours), default=0))
    hour_format = pgettext("chart hour", "m/d H:i")
    bars = [_bar(stat, i, slot, COUNT_HEIGHT / top, hour_format) for i, stat in enumerate(hours.hours)]
    # When the range crosses a change of offset (summer time ending repeats an hour), the
    # hours carry their zone's name ("01:00 EDT", "01:00 EST"): else two rows read alike.
    if len({timezone.localtime(stat.hour).utcoffset() for stat in hours.hours}) > 1:
        for bar, stat in zip(bars, hours.hours, strict=True):
            bar["when"] = f"{bar['when']} {zone_label(stat.hour)}"
    for bar, stat in zip(bars, hours.hours, strict=True):
        bar["label"] = _hour_label(timezone.localtime(stat.hour), key)
        bar["tip"] = _tip(stat, bar["when"])
        # Markers as well as lines: an hour between two empty ones would be a line of one point.
        for name in ("p50", "p95"):
            bar[f"{name}_y"] = None if bar[name] is None else _n(_time_y(bar[name]))
    behind = None
    if hours.behind_since is not None:
        ran_at = hours.ran_at and _when(hours.ran_at)
        behind = {"since": _when(hours.behind_since), "ran_at": ran_at}
    return {
        "key": key,
        "zone": timezone.get_current_timezone_name(),
        "ranges": list(RANGES),
        "bars": bars,
        "p50_lines": _lines(bars, "p50"),
        "p95_lines": _lines(bars, "p95"),
        "summary": _summary(hours),
        "behind": behind,
        "width": WIDTH,
        "plot_left": LEFT,
        "plot_right": WIDTH - RIGHT,
        "count_box": f"0 0 {WIDTH} {TOP + COUNT_HEIGHT + BOTTOM}",
        "time_box": f"0 0 {WIDTH} {TOP + TIME_HEIGHT + BOTTOM}",
        "count_base": _n(TOP + COUNT_HEIGHT),
        "time_base": _n(TOP + TIME_HEIGHT),
        "axis_x": _n(LEFT - 6),
        "label_y": _n(TOP + COUNT_HEIGHT + 17),
        "time_label_y": _n(TOP + TIME_HEIGHT + 17),
        **_axes(top),
    }
