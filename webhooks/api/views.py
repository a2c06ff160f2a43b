"""REST API for scripts (docs/api.md): Cotalker-compatible reads plus management of webhooks
(their logs are in webhooks/api/logs.py).

Paths and JSON shapes follow Cotalker's `/api/v3/webhook/subscription`
(COTWebhook) and `/api/v3/webhook/subscription/logs/{id}` (COTWebhookLog[]).
Every request needs `Authorization: Bearer <token>` of a staff user with a
company, and sees only that company's rows (anything else is a 404).
Lists stay JSON arrays: `limit`/`offset` select the page, `X-Total-Count`
and an RFC 8288 `Link` header describe it.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import limits, services
from webhooks.api.base import (
    AUTH_ERRORS,
    ERROR_400,
    ERROR_404,
    WEBHOOK_ID,
    CompanyAPIView,
    JSONOnly,
    api_errors,
)
from webhooks.api.pagination import (
    PAGE_HEADERS,
    WebhookListQuerySerializer,
    created_between,
    paginated,
    query_params,
)
from webhooks.api.serializers import (
    ErrorSerializer,
    ResumeSerializer,
    WebhookInputSerializer,
    WebhookLogSerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)
from webhooks.engine import resend
from webhooks.models import Webhook


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
            raise exceptions.ValidationError(api_errors(error)) from error
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
            raise exceptions.ValidationError(api_errors(error)) from error
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
            raise exceptions.ValidationError(api_errors(error)) from error
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
            raise exceptions.ValidationError(api_errors(error)) from error
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


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/: a JSON 404 for every method, signed in or not."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound()
