"""Query parameters and pagination of the API's lists: plain JSON arrays paged with
`limit`/`offset`, described by `X-Total-Count` and an RFC 8288 `Link` header."""

from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from webhooks.models import PUBLIC_TRIGGERS
from webhooks.rules import object_id_validator

_QS = TypeVar("_QS", bound=QuerySet[Any])

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, help_text="Page size (1-1000)."
    )
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0, help_text="Rows to skip.")
    createdAtFrom = serializers.DateTimeField(
        required=False, help_text="Only rows created at or after this ISO-8601 time (UTC if naive)."
    )
    createdAtTo = serializers.DateTimeField(
        required=False, help_text="Only rows created before this ISO-8601 time (UTC if naive)."
    )


class WebhookListQuerySerializer(PageQuerySerializer):
    # Cotalker returns all of the company's webhooks: so do we when no `limit` is sent.
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        default=None,
        help_text="Page size (1-1000); without it, every matching webhook.",
    )
    trigger = serializers.ChoiceField(
        choices=[trigger.value for trigger in PUBLIC_TRIGGERS],
        required=False,
        help_text="Only webhooks with this trigger.",
    )
    isActive = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true or false; both when absent."
    )


class ObjectIdSearchField(serializers.CharField):
    """An object id to search by: any case (a pasted id), folded to the ObjectId rule's lower
    case before the rule (webhooks.rules) is applied, as the panel's Logs filter does."""

    def __init__(self, **kwargs):
        super().__init__(validators=[object_id_validator], **kwargs)

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).lower()


class LogListQuerySerializer(PageQuerySerializer):
    result = serializers.ChoiceField(
        choices=["success", "failed", "pending", "skipped"],
        required=False,
        help_text="SUCCESS, FAILED, PENDING or SKIPPED (case-insensitive).",
    )

    status = serializers.IntegerField(
        required=False, min_value=100, max_value=599, help_text="Only logs with this HTTP status code."
    )
    objectId = ObjectIdSearchField(
        required=False,
        help_text="Only logs of events about this object: the `_id` of the task, user, survey answer, "
        "element or note whose change triggered the event (a user's, for a logout); either case.",
    )

    def to_internal_value(self, data):
        if isinstance(data.get("result"), str):
            data = data.copy()
            data["result"] = data["result"].lower()
        return super().to_internal_value(data)

    def validate(self, attrs):
        start, end = attrs.get("createdAtFrom"), attrs.get("createdAtTo")
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"createdAtTo": _("Must not be before createdAtFrom.")})
        return attrs


def query_params(serializer_class, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def created_between(queryset: _QS, query: dict) -> _QS:
    if "createdAtFrom" in query:
        queryset = queryset.filter(created_at__gte=query["createdAtFrom"])
    if "createdAtTo" in query:
        queryset = queryset.filter(created_at__lt=query["createdAtTo"])
    return queryset


def page_url(request: Request, *, limit: int | None, offset: int) -> str:
    params = request.query_params.copy()
    params.pop("limit", None)
    params.pop("offset", None)
    if limit is not None:
        params["limit"] = str(limit)
    params["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def paginated(request: Request, queryset: QuerySet, serializer_class, query: dict) -> Response:
    """One page; with `limit` None, every row from `offset` on."""
    limit, offset = query["limit"], query["offset"]
    total = queryset.count()
    rows = list(queryset[offset:] if limit is None else queryset[offset : offset + limit])
    response = Response(serializer_class(rows, many=True).data)
    response["X-Total-Count"] = str(total)
    response["Link"] = ", ".join(_links(request, limit, offset, total))
    return response


def _links(request: Request, limit: int | None, offset: int, total: int) -> list[str]:
    if limit is None:  # everything from `offset` on: nothing next, the whole list before
        before = [f'<{page_url(request, limit=None, offset=0)}>; rel="prev"'] if offset > 0 else []
        return [*before, f'<{page_url(request, limit=None, offset=0)}>; rel="first"']
    links = []
    if offset + limit < total:
        links.append(f'<{page_url(request, limit=limit, offset=offset + limit)}>; rel="next"')
    if offset > 0:
        previous = max(min(offset - limit, total - limit), 0)
        links.append(f'<{page_url(request, limit=limit, offset=previous)}>; rel="prev"')
    links.append(f'<{page_url(request, limit=limit, offset=0)}>; rel="first"')
    if total > limit:
        last = (total - 1) // limit * limit
        links.append(f'<{page_url(request, limit=limit, offset=last)}>; rel="last"')
    return links


PAGE_HEADERS = [
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[200],
        description="Number of rows matching the filters, across all pages.",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='RFC 8288 links: rel="next", "prev", "first" and "last" pages, when they exist.',
    ),
]
