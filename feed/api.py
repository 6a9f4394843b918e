"""The pull feed: the events a webhook would bring, read with a cursor by those who cannot receive webhooks."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.log import tree_size
from audit.permissions import IsAuditor
from feed.models import TOPICS
from feed.selectors import EVENT_TYPES_OF_TOPIC, event_entry, feed_entries
from reports.tenancy import exercise_for_user

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class FeedPageSerializer(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField(), help_text="Events by log index: each an auditors' "
                                    "event record (as GET /api/v1/audit/events/) with its topic.")
    next = serializers.CharField(help_text="The URL of the next page: the same query with after= the last index "
                                           "returned (or the same after, when nothing is new yet).")
    after = serializers.IntegerField()
    tree_size = serializers.IntegerField(help_text="Events sealed in the log so far.")


def _whole(request, name: str, default: int, *, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Give a whole number."]}) from None
    if value < low or (high is not None and value > high):
        raise ValidationError({name: [f"Give a number from {low} to {high}." if high is not None
                                      else f"Give a number of at least {low}."]})
    return value


class FeedView(APIView):
    """Sealed events of your exercise after a log index: filed, routed, decided, appealed."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = FeedPageSerializer

    @extend_schema(tags=["auditors"], parameters=[
        OpenApiParameter("after", OpenApiTypes.INT, description="Return events after this log index "
                         "(default -1: from the start). Pass the previous page's last index."),
        OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most this many ({DEFAULT_LIMIT} by default, "
                         f"up to {MAX_LIMIT})."),
        OpenApiParameter("topic", OpenApiTypes.STR, many=True, enum=[t for t in TOPICS if t != "checkpoint"],
                         description="Only these topics (repeat the parameter); default all."),
    ], responses={200: FeedPageSerializer})
    def get(self, request):
        after = _whole(request, "after", -1, low=-1)
        limit = _whole(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        topics = request.query_params.getlist("topic") or None
        unknown = sorted(set(topics or []) - set(EVENT_TYPES_OF_TOPIC))
        if unknown:
            raise ValidationError({"topic": [f"Unknown topic {unknown[0]!r}: use any of "
                                             + ", ".join(EVENT_TYPES_OF_TOPIC) + "."]})
        entries = list(feed_entries(exercise=exercise_for_user(request.user), after=after, topics=topics)[:limit])
        last = entries[-1].index if entries else after
        query = request.query_params.copy()
        query["after"] = str(last)
        return Response({"results": [event_entry(entry) for entry in entries],
                         "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}"),
                         "after": after, "tree_size": tree_size()})
