from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def accept_language(request) -> str:
    """The first language of the request's Accept-Language that the project offers, else
    LANGUAGE_CODE. Not the panel's language cookie: a script says what it reads in its header,
    and a browser signed in to the panel must not change what a script sharing it parses."""
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class ApiMiddleware:
    """What every response under /api/ gets: messages in the language of its Accept-Language
    (English without one), and `Cache-Control: no-store` (some carry secrets; none is worth
    keeping in a shared cache).

    The docs page is a page for people: it keeps the panel's language (LocaleMiddleware's
    choice, the language cookie included). The schema stays English: one document for every
    client, whose texts are written in English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.path != reverse("api:docs"):
            language = "en" if request.path == reverse("api:schema") else accept_language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request, exception):
        """Too many query parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS), found when a view reads
        them: a JSON 400 like the API's other errors, not Django's HTML error page."""
        if request.path.startswith("/api/") and isinstance(exception, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return JsonResponse({"detail": f"Too many query parameters: at most {limit}."}, status=400)
        return None
