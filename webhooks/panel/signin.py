"""Sign-in throttling: after WEBHOOK_SIGNIN_FAILURES failed sign-ins of an account within
15 minutes, that account cannot sign in until the window ends (docs/security.md).

The backend refuses every sign-in path (the panel and the Django admin); the panel's form
says why. Failures are counted from Django's `user_login_failed` signal.
"""

from django import forms
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from webhooks import limits


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and limits.signin_wait(username=username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        wait = limits.signin_wait(username=username) if username else 0
        if wait:
            raise forms.ValidationError(
                _("Too many failed sign-ins for this account. Try again in %(minutes)s min."),
                code="throttled",
                params={"minutes": (wait + 59) // 60},
            )
        return super().clean()


def signin_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    """user_login_failed: count the failure against the account."""
    username = credentials.get("username")
    if username:
        limits.signin_failed(username=username)
