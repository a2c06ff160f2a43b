"""The administrator's time zone: detected by the browser (static/js/panel.js), remembered in a
cookie, changeable on the Time zone page. The panel shows dates in it; the API stays UTC."""

import contextlib
import zoneinfo
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone

COOKIE = "panel_tz"
COOKIE_MAX_AGE = 365 * 24 * 3600


# The areas of the tz database's current names ("Area/Location"), in the chooser's order.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def zone_names() -> list[str]:
    """The zones the chooser offers: UTC and the current IANA name of each country's zones.

    They are the names of the tz database's zone.tab (one line per country and zone, kept up to
    date with each tzdata release), so the backward-compatible aliases (Chile/Continental,
    US/Eastern, Africa/Timbuktu, Asia/Calcutta) are left out, while the names of a country merged
    into another's zone (Europe/Amsterdam, Europe/Oslo) stay. Without a zone.tab (a system with no
    tz database files), the Area/Location names of the known areas are offered instead.
    """
    known = _known_zones()
    listed = _zone_tab_names()
    if listed is None:
        listed = {name for name in known if name.split("/", 1)[0] in REGIONS}
    return ["UTC", *sorted(name for name in listed if name in known and name.split("/", 1)[0] in REGIONS)]


def zone_groups() -> list[tuple[str, list[str]]]:
    """(area, names) in the order of REGIONS, for the chooser's groups (UTC is not in any)."""
    names = zone_names()
    return [(area, [n for n in names if n.startswith(area + "/")]) for area in REGIONS]


def _zone_tab_names() -> set[str] | None:
    """The zone names of zone.tab, from the system's tz database or the tzdata package."""
    candidates = [Path(folder) / "zone.tab" for folder in zoneinfo.TZPATH]
    with contextlib.suppress(ImportError):
        import tzdata  # noqa: F401  (only present where the system has no tz database)

        candidates.append(Path(str(resources.files("tzdata.zoneinfo") / "zone.tab")))
    for path in candidates:
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
    return None


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())  # it reads the tz database's folders at each call


def zone_from(name: str | None) -> ZoneInfo | None:
    if not name or name not in _known_zones():
        return None
    return ZoneInfo(name)


class TimeZoneMiddleware:
    """Activates the zone of the `panel_tz` cookie for panel pages (never for /api/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None if request.path_info.startswith("/api/") else zone_from(request.COOKIES.get(COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def remember(response, name: str | None, *, secure: bool) -> None:
    """Store the choice (a valid zone), or forget it (None: the browser detects it again)."""
    if name is None:
        response.delete_cookie(COOKIE, samesite="Lax")
    else:
        response.set_cookie(COOKIE, name, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=secure)
