"""The request's representation: its model serializers inspect their models once per process, not per answer."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection
from rest_framework.utils import model_meta

from filing.serializers import RequestDetailSerializer
from tests.builders import filed


@pytest.mark.django_db
def test_a_second_answer_builds_its_fields_without_inspecting_the_models(kz_reporter, harmless_content_code):
    request = filed(kz_reporter, harmless_content_code)
    first = RequestDetailSerializer(request).data

    with mock.patch.object(model_meta, "get_field_info", side_effect=AssertionError("the model was inspected")):
        second = RequestDetailSerializer(request).data

    assert second == first
    assert second["items"][0]["content_id"] == harmless_content_code


@pytest.mark.django_db
def test_each_answer_gets_its_own_fields_even_across_threads(kz_reporter, harmless_content_code):
    requests = [filed(kz_reporter, harmless_content_code) for _ in range(4)]
    answers = {}

    def answer(request):
        try:
            for _ in range(20):
                answers[request.pk] = RequestDetailSerializer(request).data
        finally:
            connection.close()  # the thread's own (the timeline reads the seals)

    threads = [threading.Thread(target=answer, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {pk: answer["reference"] for pk, answer in answers.items()} == {r.pk: r.reference for r in requests}
    serializer = RequestDetailSerializer(requests[0])
    assert serializer.fields["items"].parent is serializer  # bound to the serializer using it, not shared
