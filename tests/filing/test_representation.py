"""The request as the API shows it is made by plain functions; DRF's own rendering of the same serializers agrees.

filing/representation.py writes out what DRF's fields would (times in ISO 8601 with Z, choices as
their values, nested items, decisions, messages, evidence, checks and the timeline). Here each
request, in the states an answer meets, is rendered both ways and must give the same JSON bytes.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from filing import representation
from filing.selectors import request_detail_queryset
from filing.serializers import RequestDetailSerializer, RequestSummarySerializer
from filing.services import evidence_attach
from review.services import request_ask_info, request_claim
from tests.builders import PNG, decided, filed, filed_and_screened


def drf_rendered(serializer_class, request) -> bytes:
    """What DRF makes of the serializer's declared fields, without the serializer's own ``to_representation``."""
    return JSONRenderer().render(serializers.ModelSerializer.to_representation(serializer_class(), request))


def assert_same_as_drf(request) -> None:
    detail = representation.request_detail(request)
    assert JSONRenderer().render(detail) == drf_rendered(RequestDetailSerializer, request)
    assert JSONRenderer().render(representation.request_summary(request)) == drf_rendered(
        RequestSummarySerializer, request)
    assert list(detail) == list(RequestDetailSerializer().fields)  # no field declared but not made, or made twice


@pytest.mark.django_db
def test_a_request_just_filed_is_shown_as_drf_shows_it(kz_reporter, harmless_content_code):
    request = filed(kz_reporter, harmless_content_code)

    assert_same_as_drf(request)
    assert representation.request_detail(request)["court_order"]["court"] == "Medeu District Court of Almaty"


@pytest.mark.django_db
def test_a_request_with_checks_messages_and_evidence_is_shown_as_drf_shows_it(kz_reporter, harmless_content_code,
                                                                              legal_reviewer):
    request = filed_and_screened(kz_reporter, harmless_content_code, court_order=None)
    request_claim(reviewer=legal_reviewer, request=request)
    request_ask_info(reviewer=legal_reviewer, request=request, message="Which court order applies?")
    evidence_attach(reporter=kz_reporter, request=request, kind="court_order",
                    upload=SimpleUploadedFile("order.png", PNG, content_type="image/png"))

    shown = request_detail_queryset().get(pk=request.pk)

    assert_same_as_drf(shown)
    detail = representation.request_detail(shown)
    assert len(detail["checks"]) == 4 and detail["messages"][-1]["from_platform"] is True
    assert detail["evidence"][0]["original_name"] == "order.png" and detail["court_order"] is None


@pytest.mark.django_db
def test_a_decided_request_is_shown_as_drf_shows_it(kz_reporter, harmless_content_code, legal_reviewer):
    request = decided(legal_reviewer, filed_and_screened(kz_reporter, harmless_content_code, court_order=None))

    shown = request_detail_queryset().get(pk=request.pk)

    assert_same_as_drf(shown)
    detail = representation.request_detail(shown)
    assert detail["items"][0]["decision"]["action"] == "restrict_in_jurisdiction"
    assert detail["decided_at"].endswith("Z") and detail["outcome"]


@pytest.mark.django_db
def test_the_list_of_requests_is_made_by_the_same_function(client_for, kz_reporter, harmless_content_code):
    request = filed(kz_reporter, harmless_content_code)

    listed = client_for(kz_reporter.user).get("/api/v1/requests/").json()["results"]

    assert listed == [representation.request_summary(request_detail_queryset().get(pk=request.pk))]
