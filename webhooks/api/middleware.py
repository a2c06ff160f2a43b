from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import JsonResponse
from django.utils import translation


class ApiMiddleware:
    """What every response under /api/ gets: English messages, whatever Accept-Language says
    (scripts parse them), and `Cache-Control: no-store` (some carry secrets; none is worth
    keeping in a shared cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        translation.activate("en")
        request.LANGUAGE_CODE = "en"
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
