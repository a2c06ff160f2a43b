from django.utils import translation


class ApiInEnglishMiddleware:
    """The REST API is never translated, whatever Accept-Language says: scripts parse its messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)
