"""API authentication: Bearer tokens of staff users who belong to a company."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

# knox's tokens are 64 hex characters; tokens migrated from DRF's table are 40.
TOKEN_MAX_LENGTH = 64


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` (`Token <token>`, DRF's keyword, is accepted too).

    django-rest-knox checks the token against its stored SHA-512 digest and the expiry; this
    adds the second keyword and remembers when each token was last used.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use 'Bearer <token>'."))
        token = parts[1]
        if len(token) > TOKEN_MAX_LENGTH or not token.isalnum():
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, api_token = self.authenticate_credentials(token.encode())
        api_token.mark_used(timezone.now())
        return user, api_token


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A token created in the panel (Security → API tokens) or with "
                "`manage.py issue_api_token --email <staff user>`."
            ),
        }


class IsCompanyStaff(BasePermission):
    message = _("Only staff users of a company may use this API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.company_id)
