"""Sign-in throttling: after WEBHOOK_SIGNIN_FAILURES failed sign-ins of an account within
15 minutes, that account cannot sign in until the window ends (docs/security.md).

The backend refuses every sign-in path (the panel and the Django admin); the panel's form
says why. Each sign-in is counted before its password is checked, and given back when the
password is right, so concurrent guesses cannot all be checked before the first is counted.
"""

import time

from django import forms
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from webhooks import limits


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username:
            return super().authenticate(request, username=username, password=password, **kwargs)
        now = time.time()
        if not limits.signin_attempt(username=username, now=now):
            return None  # over the limit: this password is never checked, right or wrong
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            limits.signin_succeeded(username=username, now=now)
        return user


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        self._refuse_when_throttled(username)
        try:
            return super().clean()
        except forms.ValidationError:
            self._refuse_when_throttled(username)  # this failure reached the limit: say so now
            raise

    def _refuse_when_throttled(self, username: str | None) -> None:
        wait = limits.signin_wait(username=username) if username else 0
        if wait:
            raise forms.ValidationError(
                _("Too many failed sign-ins for this account. Try again in %(minutes)s min."),
                code="throttled",
                params={"minutes": (wait + 59) // 60},
            )
