from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from webhooks.health import healthz
from webhooks.panel.signin import ThrottledAuthenticationForm


def favicon(request):
    """Pages without a <link rel="icon"> (the Django admin, the API docs) ask for /favicon.ico."""
    return redirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("", RedirectView.as_view(pattern_name="webhooks:list", permanent=False)),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            next_page="webhooks:list",
            redirect_authenticated_user=True,
            authentication_form=ThrottledAuthenticationForm,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("webhooks.api.urls")),
    path("", include("webhooks.panel.urls")),
]
