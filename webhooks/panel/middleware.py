from django.conf import settings


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
