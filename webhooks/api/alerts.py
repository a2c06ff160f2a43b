"""The company's alerts URL (docs/api.md, "Operational webhooks"): its operational webhook."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from webhooks import alerts
from webhooks.api.base import AUTH_ERRORS, ERROR_400, CompanyAPIView, api_errors
from webhooks.api.serializers import AlertsInputSerializer, AlertsSerializer
from webhooks.models import Webhook
from webhooks.staff import staff_company


def _alerts_body(webhook: Webhook | None) -> dict:
    if webhook is None:
        return {"url": None, "subscription": None, "isActive": None}
    return {"url": webhook.url, "subscription": webhook.pk, "isActive": webhook.is_active}


class AlertsView(CompanyAPIView):
    @extend_schema(
        operation_id="alerts_retrieve",
        summary="Read the company's alerts URL",
        description="Where the company's operational webhook POSTs alerts about its webhooks "
        "(`webhook.failing`, `webhook.paused`, `webhook.recovered`, `delivery.exhausted`), signed "
        "and in order like any webhook's deliveries.",
        responses={200: AlertsSerializer, **AUTH_ERRORS},
        tags=["alerts"],
    )
    def get(self, request: Request) -> Response:
        return Response(
            AlertsSerializer(_alerts_body(alerts.alerts_webhook(company_id=self.company_id))).data
        )

    @extend_schema(
        operation_id="alerts_update",
        summary="Set or remove the company's alerts URL",
        description="The first URL creates the operational webhook, with a signing secret of its own "
        "(read it at `/subscription/{subscription}/secret`); another URL changes it; null or an empty "
        "string removes it, with its logs and any alert still queued. Setting a URL (the same one too) "
        "activates an operational webhook the engine paused: the alerts that waited are delivered, in order.",
        request=AlertsInputSerializer,
        responses={200: AlertsSerializer, 400: ERROR_400, **AUTH_ERRORS},
        tags=["alerts"],
    )
    def put(self, request: Request) -> Response:
        body = AlertsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            webhook = alerts.alerts_webhook_set(
                company=staff_company(request.user), url=body.validated_data["url"]
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(api_errors(error)) from error
        return Response(AlertsSerializer(_alerts_body(webhook)).data)
