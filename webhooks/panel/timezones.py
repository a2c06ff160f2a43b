"""The administrator's time zone: detected by the browser (static/js/panel.js), remembered in a
cookie, changeable on the Time zone page. The panel shows dates in it; the API stays UTC."""

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone

COOKIE = "panel_tz"
COOKIE_MAX_AGE = 365 * 24 * 3600


@cache
def zone_names() -> list[str]:
    # zoneinfo also lists legacy aliases ("US/Eastern", "posixrules"); keep the Area/Location ones.
    legacy = ("Etc/", "SystemV/")
    names = (name for name in available_timezones() if "/" in name and not name.startswith(legacy))
    return ["UTC", *sorted(names)]


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
