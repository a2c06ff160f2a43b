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
