from django.conf import settings
from django.urls import reverse


class ContentSecurityPolicyMiddleware:
    """The panel's pages may load scripts, styles, images and fetches from this origin only: no
    inline script or style, no eval, no framing (docs/security.md). The Django admin and the API
    (whose docs page has its own inline style) keep their own rules."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(("/admin/", "/api/")):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class UserLanguageMiddleware:
    """Remember the language a staff user picks with the panel's switch (Django's set_language)
    on their row (User.language): alert emails are written in it (webhooks.alerts). Signing in
    remembers the language of that request too (webhooks.apps, `user_logged_in`). Nothing is
    written on other requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and request.path == reverse("set_language"):
            chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
            user = getattr(request, "user", None)
            if chosen is not None and user is not None and user.is_authenticated:
                user.language_remember(chosen.value)
        return response


def user_language_signed_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: the language the user signed in with (their browser's, or the switch's
    cookie) is theirs until they switch."""
    language = getattr(request, "LANGUAGE_CODE", None) if request is not None else None
    if language and hasattr(user, "language_remember"):
        user.language_remember(language)
