"""What every API view shares: JSON only, the bearer token, the company's webhooks and logs
(another company's are a 404), Django validation errors as API field errors, and the
schema's common parameters and responses.
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks.api.auth import BearerTokenAuthentication, IsCompanyStaff
from webhooks.api.serializers import (
    ErrorSerializer,
    WebhookLogSerializer,
)
from webhooks.models import LOGS_ORDER, Delivery, DeliveryQuerySet, Webhook, WebhookQuerySet
from webhooks.rules import OBJECT_ID_PATTERN, is_object_id
from webhooks.staff import staff_company_id

# Model field -> API field, for errors raised by Webhook.full_clean / services.
_CONTEXT_ERROR_KEYS = {"workflow": "taskGroup", "survey": "survey", "group": "group"}
_FIELD_ERROR_KEYS = {"is_active": "isActive", "max_in_flight": "maxInFlight", "__all__": "non_field_errors"}


WEBHOOK_ID = OpenApiParameter(
    "id",
    {"type": "string", "pattern": OBJECT_ID_PATTERN},
    OpenApiParameter.PATH,
    description="The webhook's ObjectId (`_id`).",
)
LOG_ID = OpenApiParameter(
    "log_id",
    {"type": "string", "pattern": OBJECT_ID_PATTERN},
    OpenApiParameter.PATH,
    description="The log's ObjectId (`_id`).",
)


def api_errors(error: DjangoValidationError) -> dict:
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": list(error.messages)}
    errors: dict = {}
    for field, messages in error.message_dict.items():
        if field in _CONTEXT_ERROR_KEYS:
            errors.setdefault("context", {})[_CONTEXT_ERROR_KEYS[field]] = messages
        else:
            errors[_FIELD_ERROR_KEYS.get(field, field)] = messages
    return errors


ERROR_400 = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: an object of field name → list of messages (nested for `context`).",
    examples=[
        OpenApiExample(
            "Field errors",
            value={"code": ["The code cannot be changed once the webhook is saved."]},
            response_only=True,
        )
    ],
)
ERROR_401 = OpenApiResponse(ErrorSerializer, description="No or invalid token.")
ERROR_403 = OpenApiResponse(ErrorSerializer, description="The token's user is not staff of a company.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="No such webhook (or log) in your company.")
AUTH_ERRORS = {401: ERROR_401, 403: ERROR_403}
WEBHOOK_NOT_FOUND = _("No webhook with this id in your company.")


class SafeJSONParser(JSONParser):
    """JSONParser whose too-deeply nested documents are a 400, not a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(_("JSON parse error - the document is nested too deeply.")) from error


class JSONOnly(DefaultContentNegotiation):
    """JSON whatever `Accept` or `?format=` ask for: no browsable HTML, no 406 for scripts
    that send a browser's Accept header."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CompanyAPIView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsCompanyStaff]
    parser_classes = [SafeJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig):
            exc = exceptions.ParseError(_("The request body is too large."))
        return super().handle_exception(exc)

    # Whether the view also finds the company's operational (alerts) webhook by its id: its logs,
    # secret and test event are a webhook's like any; its URL is set at /alerts, and it is
    # neither listed nor edited as a webhook.
    finds_alerts_webhook = False

    @property
    def company_id(self) -> str:
        return staff_company_id(self.request.user)

    def webhooks(self) -> WebhookQuerySet:
        return Webhook.objects.for_company(self.company_id).regular()

    def get_webhook(self, webhook_id: str, *, for_update: bool = False) -> Webhook:
        if not is_object_id(webhook_id):
            raise exceptions.NotFound(WEBHOOK_NOT_FOUND)
        queryset = (
            Webhook.objects.for_company(self.company_id) if self.finds_alerts_webhook else self.webhooks()
        )
        if for_update:
            queryset = queryset.select_for_update()
        webhook = queryset.filter(pk=webhook_id).first()
        if webhook is None:
            raise exceptions.NotFound(WEBHOOK_NOT_FOUND)
        return webhook

    def logs(self) -> DeliveryQuerySet:
        return (
            Delivery.objects.filter(company_id=self.company_id)
            .select_related("event")
            .prefetch_related("attempt_set")
            .order_by(*LOGS_ORDER)
        )

    def get_log(self, webhook_id: str, log_id: str) -> Delivery:
        webhook = self.get_webhook(webhook_id)
        log = None
        if is_object_id(log_id):
            log = self.logs().filter(webhook=webhook, object_id=log_id).first()
        if log is None:
            raise exceptions.NotFound(_("No log with this id for this webhook."))
        return log

    def log_response(self, delivery: Delivery, status_code: int) -> Response:
        delivery = self.logs().get(pk=delivery.pk)
        url = reverse("api:subscription-log", args=[delivery.webhook_id, delivery.object_id])
        return Response(
            WebhookLogSerializer(delivery).data,
            status=status_code,
            headers={"Location": self.request.build_absolute_uri(url)},
        )
