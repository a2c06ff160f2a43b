"""API authentication: Bearer tokens of staff users who belong to a company."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` (DRF's `Token <token>` is accepted too)."""

    keyword = "Bearer"
    keywords = ("bearer", "token")

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: use 'Bearer <token>'.")
        token = parts[1]
        if len(token) > 40 or not token.isalnum():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return self.authenticate_credentials(token)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `manage.py issue_api_token --email <staff user>`.",
        }


class IsCompanyStaff(BasePermission):
    message = "Only staff users of a company may use this API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.company_id)
