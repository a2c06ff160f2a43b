"""The API's webhook logs (COTWebhookLog): list, one log, its redelivery, and bulk redelivery."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from webhooks import services
from webhooks.api.base import (
    AUTH_ERRORS,
    ERROR_400,
    ERROR_404,
    LOG_ID,
    WEBHOOK_ID,
    CompanyAPIView,
)
from webhooks.api.pagination import (
    PAGE_HEADERS,
    LogListQuerySerializer,
    paginated,
    query_params,
)
from webhooks.api.serializers import (
    ErrorSerializer,
    QueuedSerializer,
    RedeliverFailedSerializer,
    WebhookLogSerializer,
)


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
