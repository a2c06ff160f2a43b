"""REST API for scripts (docs/api.md): Cotalker-compatible reads plus management.

Paths and JSON shapes follow Cotalker's `/api/v3/webhook/subscription`
(COTWebhook) and `/api/v3/webhook/subscription/logs/{id}` (COTWebhookLog[]).
Every request needs `Authorization: Bearer <token>` of a staff user with a
company, and sees only that company's rows (anything else is a 404).
Lists stay JSON arrays: `limit`/`offset` select the page, `X-Total-Count`
and an RFC 8288 `Link` header describe it.
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import limits, services
from webhooks.api.auth import BearerTokenAuthentication, IsCompanyStaff
from webhooks.api.pagination import (
    PAGE_HEADERS,
    LogListQuerySerializer,
    WebhookListQuerySerializer,
    created_between,
    paginated,
    query_params,
)
from webhooks.api.serializers import (
    ErrorSerializer,
    QueuedSerializer,
    RedeliverFailedSerializer,
    ResumeSerializer,
    WebhookInputSerializer,
    WebhookLogSerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)
from webhooks.engine import resend
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


def _api_errors(error: DjangoValidationError) -> dict:
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

# ---------------------------------------------------------------------------
# Views


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


def webhook_changes_state(webhook: Webhook, active: bool) -> bool:
    """Whether setting `isActive` changes the webhook: a paused webhook is inactive already, but a
    deactivation turns it into a manual one (it stops queuing)."""
    return webhook.is_active != active or (not active and webhook.is_paused)


def _validated_input(request: Request, *, mode: str, company_id: str) -> WebhookInputSerializer:
    body = WebhookInputSerializer(
        data=request.data, mode=mode, partial=mode == "patch", context={"company_id": company_id}
    )
    body.is_valid(raise_exception=True)
    return body


class SubscriptionListView(CompanyAPIView):
    @extend_schema(
        operation_id="subscription_list",
        summary="List webhooks (COTWebhook[])",
        description="Cotalker-compatible. Sorted by name as people sort names (case-insensitive). "
        "Paginated with `limit`/`offset`; "
        "the body stays a JSON array.",
        parameters=[WebhookListQuerySerializer, *PAGE_HEADERS],
        responses={200: WebhookSerializer(many=True), 400: ERROR_400, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def get(self, request: Request) -> Response:
        query = query_params(WebhookListQuerySerializer, request)
        webhooks = created_between(self.webhooks(), query)
        if "trigger" in query:
            webhooks = webhooks.filter(trigger=query["trigger"])
        if query.get("isActive") is not None:
            webhooks = webhooks.filter(is_active=query["isActive"])
        return paginated(request, webhooks.by_name(), WebhookSerializer, query)

    @extend_schema(
        operation_id="subscription_create",
        summary="Create a webhook",
        description="`code` must be unique in your company and cannot change later. "
        "`context.taskGroup` is required for the task trigger, `context.survey` and "
        '`context.group` for the survey trigger; keys the trigger does not use are stored as "".',
        request=WebhookInputSerializer,
        responses={201: WebhookSerializer, 400: ERROR_400, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def post(self, request: Request) -> Response:
        body = _validated_input(request, mode="create", company_id=self.company_id)
        try:
            with transaction.atomic():
                webhook = services.webhook_create(
                    company_id=self.company_id,
                    code=body.validated_data["code"],
                    is_active=body.validated_data["isActive"],
                    **body.model_fields(),
                )
        except DjangoValidationError as error:  # Webhook.full_clean()'s rules (webhooks.rules)
            raise exceptions.ValidationError(_api_errors(error)) from error
        url = reverse("api:subscription-detail", args=[webhook.pk])
        return Response(
            WebhookSerializer(webhook).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(url)},
        )


class SubscriptionDetailView(CompanyAPIView):
    @extend_schema(
        operation_id="subscription_retrieve",
        summary="Read a webhook (COTWebhook)",
        parameters=[WEBHOOK_ID],
        responses={200: WebhookSerializer, 404: ERROR_404, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(WebhookSerializer(self.get_webhook(id)).data)

    def _update(self, request: Request, id: str, *, mode: str) -> Response:
        try:
            with transaction.atomic():
                webhook = self.get_webhook(id, for_update=True)
                body = _validated_input(request, mode=mode, company_id=self.company_id)
                data = body.validated_data
                webhook = services.webhook_update(
                    webhook=webhook, code=data.get("code"), **body.model_fields()
                )
                # `isActive: false` leaves a paused webhook paused (a GET body PUT back must not
                # stop its queuing); `/deactivate` turns it into a manual deactivation.
                if "isActive" in data and data["isActive"] != webhook.is_active:
                    services.webhook_set_active(webhook=webhook, active=data["isActive"])
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_api_errors(error)) from error
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(
        operation_id="subscription_update",
        summary="Replace a webhook's settings",
        description="Omitted `description` and `context` keys are cleared; an omitted `isActive`, "
        "`headers`, `events`, `fields`, `ordering` or `maxInFlight` is kept. `code` may be omitted or "
        "repeated, but not changed (400).",
        parameters=[WEBHOOK_ID],
        request=WebhookInputSerializer,
        responses={200: WebhookSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, mode="put")

    @extend_schema(
        operation_id="subscription_partial_update",
        summary="Change some of a webhook's settings",
        description="Only the keys sent change (within `context` too). Changing `code` is a 400.",
        parameters=[WEBHOOK_ID],
        request=WebhookInputSerializer(partial=True),
        responses={200: WebhookSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, mode="patch")


class _SetActiveView(CompanyAPIView):
    def set_active(self, id: str, active: bool) -> Response:
        try:
            with transaction.atomic():
                webhook = self.get_webhook(id, for_update=True)
                if webhook_changes_state(webhook, active):
                    services.webhook_set_active(webhook=webhook, active=active)
        except DjangoValidationError as error:  # its workflow, survey or group is gone
            raise exceptions.ValidationError(_api_errors(error)) from error
        return Response(WebhookSerializer(webhook).data)


class SubscriptionActivateView(_SetActiveView):
    @extend_schema(
        operation_id="subscription_activate",
        summary="Activate a webhook",
        description="Deliveries queued while it was inactive resume, in order (for a paused webhook: "
        "`POST /{id}/resume` with `deliver`). A webhook whose workflow, survey or group was deleted "
        "needs a new one first (400 on that context key).",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def post(self, request: Request, id: str) -> Response:
        return self.set_active(id, True)


class SubscriptionDeactivateView(_SetActiveView):
    @extend_schema(
        operation_id="subscription_deactivate",
        summary="Deactivate a webhook",
        description="It gets no new deliveries; what was already queued waits for re-activation.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookSerializer, 404: ERROR_404, **AUTH_ERRORS},
        tags=["subscriptions"],
    )
    def post(self, request: Request, id: str) -> Response:
        return self.set_active(id, False)


class SubscriptionResumeView(CompanyAPIView):
    finds_alerts_webhook = True  # the operational webhook is paused and resumed like any other

    @extend_schema(
        operation_id="subscription_resume",
        summary="Resume a paused webhook",
        description="Activates an inactive webhook (typically one the product paused because its "
        "deliveries kept failing: `health.state` `paused`) and says what to do with the events that "
        "queued meanwhile: `deliver` them in their original order (the default, also what `/activate` "
        "and `isActive: true` do) or `skip` them (SKIPPED logs, each still redeliverable). Send a "
        "test event first (`POST /{id}/test`) to see whether the receiver is back. An active webhook "
        "is a 409; an unknown `backlog` a 400.",
        parameters=[WEBHOOK_ID],
        request=ResumeSerializer,
        responses={
            200: WebhookSerializer,
            400: ERROR_400,
            404: ERROR_404,
            409: OpenApiResponse(ErrorSerializer, description="The webhook is active: nothing to resume."),
            **AUTH_ERRORS,
        },
        tags=["subscriptions"],
    )
    def post(self, request: Request, id: str) -> Response:
        webhook = self.get_webhook(id)
        body = ResumeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.webhook_resume(webhook=webhook, backlog=body.validated_data["backlog"])
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "active":
                return Response({"detail": error.messages[0]}, status=status.HTTP_409_CONFLICT)
            raise exceptions.ValidationError(_api_errors(error)) from error
        webhook.refresh_from_db()
        return Response(WebhookSerializer(webhook).data)


class SubscriptionSecretView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_secret",
        summary="Read a webhook's signing secret",
        parameters=[WEBHOOK_ID],
        responses={200: WebhookSecretSerializer, 404: ERROR_404, **AUTH_ERRORS},
        tags=["signing"],
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(WebhookSecretSerializer(self.get_webhook(id)).data)


class SubscriptionRotateSecretView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_rotate_secret",
        summary="Rotate a webhook's signing secret",
        description="Returns the new secret. The previous one keeps signing (both signatures are "
        "sent) until `previousSecretExpiresAt`.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookSecretSerializer, 404: ERROR_404, **AUTH_ERRORS},
        tags=["signing"],
    )
    def post(self, request: Request, id: str) -> Response:
        with transaction.atomic():
            webhook = self.get_webhook(id, for_update=True)
            services.webhook_rotate_secret(webhook=webhook)
        return Response(WebhookSecretSerializer(webhook).data)


class SubscriptionTestView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_send_test",
        summary="Send a test event now",
        description='POSTs a signed test event (`event: "test"`) to the webhook\'s URL synchronously, '
        "outside the queue, and returns its log (SUCCESS or FAILED, with the status and response).",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={
            201: OpenApiResponse(WebhookLogSerializer, description="The log of the test delivery."),
            404: ERROR_404,
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many test events for this webhook or company this minute (see Retry-After).",
            ),
            **AUTH_ERRORS,
        },
        tags=["logs"],
    )
    def post(self, request: Request, id: str) -> Response:
        webhook = self.get_webhook(id)
        wait = limits.send_test_wait(webhook=webhook)
        if wait:
            raise exceptions.Throttled(
                wait=wait, detail=_("Too many test events: try again in %(wait)s s.") % {"wait": wait}
            )
        delivery = resend.webhook_send_test(webhook=webhook)
        return self.log_response(delivery, status.HTTP_201_CREATED)


class SubscriptionLogsView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_logs",
        summary="List a webhook's logs (COTWebhookLog[])",
        description="Cotalker-compatible, newest first. `retry` is the number of attempts made; "
        "`status` is null while pending or when no HTTP response came. Filters, all optional and "
        "combined: `result`, `status`, `createdAtFrom`/`createdAtTo` and `objectId`. A malformed "
        "filter is a 400 naming the parameter. Paginated with `limit`/`offset`; the body stays a "
        "JSON array.",
        parameters=[WEBHOOK_ID, LogListQuerySerializer, *PAGE_HEADERS],
        responses={200: WebhookLogSerializer(many=True), 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
        tags=["logs"],
    )
    def get(self, request: Request, id: str) -> Response:
        webhook = self.get_webhook(id)
        query = query_params(LogListQuerySerializer, request)
        logs = (
            self.logs()
            .filter(webhook=webhook)
            .log_filter(
                company_id=self.company_id,
                result=query.get("result"),
                status=query.get("status"),
                created_from=query.get("createdAtFrom"),
                created_to=query.get("createdAtTo"),
                object_id=query.get("objectId"),
            )
        )
        return paginated(request, logs, WebhookLogSerializer, query)


class SubscriptionLogDetailView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_log_retrieve",
        summary="Read one log (COTWebhookLog)",
        parameters=[WEBHOOK_ID, LOG_ID],
        responses={200: WebhookLogSerializer, 404: ERROR_404, **AUTH_ERRORS},
        tags=["logs"],
    )
    def get(self, request: Request, id: str, log_id: str) -> Response:
        return Response(WebhookLogSerializer(self.get_log(id, log_id)).data)


class SubscriptionLogRedeliverView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_log_redeliver",
        summary="Redeliver a logged event",
        description="Queues the same event to the webhook again, behind what is already queued, "
        "and returns the new (PENDING) log. A log that is still pending, or whose event is still "
        "queued to the webhook (an earlier redelivery not sent yet), cannot be redelivered (409). "
        "An inactive webhook keeps it queued until re-activated.",
        parameters=[WEBHOOK_ID, LOG_ID],
        request=None,
        responses={
            202: OpenApiResponse(WebhookLogSerializer, description="The new, queued log."),
            404: ERROR_404,
            409: OpenApiResponse(
                ErrorSerializer, description="The log, or a redelivery of its event, is still pending."
            ),
            **AUTH_ERRORS,
        },
        tags=["logs"],
    )
    def post(self, request: Request, id: str, log_id: str) -> Response:
        log = self.get_log(id, log_id)
        if not log.is_final:
            return Response(
                {"detail": _("This log is still pending; redeliver it once it has succeeded or failed.")},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            again = services.delivery_redeliver(delivery=log)
        except DjangoValidationError as refused:  # a redelivery of its event is still queued
            return Response({"detail": refused.messages[0]}, status=status.HTTP_409_CONFLICT)
        return self.log_response(again, status.HTTP_202_ACCEPTED)


class SubscriptionLogsRedeliverFailedView(CompanyAPIView):
    finds_alerts_webhook = True

    @extend_schema(
        operation_id="subscription_logs_redeliver_failed",
        summary="Redeliver the failed logs of a time range",
        description="After a receiver's outage: queues again every FAILED log created in "
        "[createdAtFrom, createdAtTo), in the original order and behind what is already queued; "
        "each becomes a redelivery (kind `redelivery`) of its original. One per event: an event "
        "the webhook has since received, or still has queued, is not sent again. At most "
        "WEBHOOK_REDELIVER_FAILED_MAX (default 1,000) are queued per call; `remaining` says how many "
        "are left: call again with the same range to continue where it stopped (what was queued "
        "is not queued twice).",
        parameters=[WEBHOOK_ID],
        request=RedeliverFailedSerializer,
        responses={202: QueuedSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
        tags=["logs"],
    )
    def post(self, request: Request, id: str) -> Response:
        webhook = self.get_webhook(id)
        body = RedeliverFailedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.deliveries_redeliver_failed(
            webhook=webhook,
            created_from=body.validated_data["createdAtFrom"],
            created_to=body.validated_data.get("createdAtTo"),
        )
        return Response(
            {"queued": batch.queued, "remaining": batch.remaining}, status=status.HTTP_202_ACCEPTED
        )


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/: a JSON 404 for every method, signed in or not."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound()
