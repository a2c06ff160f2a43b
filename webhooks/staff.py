"""Who the panel and the API serve: signed-in staff of a company.

`staff_required` (the panel) and `IsCompanyStaff` (the API) let no one else through; these give
their views that user's company with its type (a company, not "a company or None"), and refuse
as they do should a view ever be reached without it.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from events.models import Company, User


class PanelRequest(HttpRequest):
    """A request as a panel view sees it: `htmx` is HtmxMiddleware's, and behind
    `staff_required` the user is signed in. For the type checker: requests are HttpRequests."""

    user: User
    htmx: HtmxDetails


def staff_company_id(user: User | AnonymousUser) -> str:
    """The id of the company of a signed-in staff user; PermissionDenied for anyone else."""
    if not isinstance(user, User) or not user.is_staff or user.company_id is None:
        raise PermissionDenied(_("The panel is for staff of a company."))
    return user.company_id


def staff_company(user: User | AnonymousUser) -> Company:
    """The company of a signed-in staff user; PermissionDenied for anyone else."""
    if not isinstance(user, User) or not user.is_staff or user.company is None:
        raise PermissionDenied(_("The panel is for staff of a company."))
    return user.company
