"""One of the agency's requests, as every form POST and follow-up reads it: a tenancy filter, by reference or id."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms.models import model_to_dict

from filing.inputs import ItemInput
from filing.selectors import (
    agency_request,
    provision_titles,
    provisions_for_jurisdiction,
    request_stated_rows,
    requests_for_agency,
)
from filing.services import evidence_attach
from reports.models import ReporterAccount, TakedownRequest
from tests.builders import PNG, filed, pdf_upload
from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_agencys_request_comes_with_its_agency_exercise_and_submitter(kz_reporter, harmless_content_code,
                                                                          django_assert_num_queries):
    request = filed(kz_reporter, harmless_content_code)
    expected = requests_for_agency(reporter=kz_reporter).select_related("agency", "exercise", "submitted_by").get(
        pk=request.pk)

    for found in (agency_request(kz_reporter, reference=request.reference), agency_request(kz_reporter, pk=request.pk)):
        with django_assert_num_queries(0):
            related = [found.agency, found.exercise, found.submitted_by]
        assert [model_to_dict(m) for m in (found, *related)] == [model_to_dict(m) for m in (
            expected, expected.agency, expected.exercise, expected.submitted_by)]
        assert found.reference == request.reference


@pytest.mark.django_db
def test_a_request_s_stated_rows_are_the_orm_s_with_their_posts_and_provisions(
        kz_reporter, harmless_content_code, violating_content_code, django_assert_num_queries):
    request = filed(kz_reporter, items=[ItemInput(content_id=violating_content_code),
                                        ItemInput(url="https://example.org/not-a-post"),
                                        ItemInput(content_id=harmless_content_code)],
                    legal_basis=["KZ-CC-274", "KZ-CC-174"])
    filed(kz_reporter, harmless_content_code)  # another request's rows are not its own
    evidence_attach(reporter=kz_reporter, request=request, upload=pdf_upload())
    evidence_attach(reporter=kz_reporter, request=request, upload=SimpleUploadedFile("b.png", PNG, "image/png"))
    request = TakedownRequest.objects.get(pk=request.pk)  # not the filing's own object, which holds its rows

    items, citations, evidence = request_stated_rows(request)

    with django_assert_num_queries(0):
        posts = [(item.content, item.content.author) if item.content else None for item in items]
        provisions = [citation.provision for citation in citations]
    expected_items = list(request.items.select_related("content__author"))
    assert [model_to_dict(item) for item in items] == [model_to_dict(item) for item in expected_items]
    assert [[model_to_dict(m) for m in pair] if pair else None for pair in posts] == [
        [model_to_dict(item.content), model_to_dict(item.content.author)] if item.content else None
        for item in expected_items]
    assert posts[1] is None and len(items) == 3
    expected_citations = list(request.citations.select_related("provision"))
    assert [model_to_dict(c) for c in citations] == [model_to_dict(c) for c in expected_citations]
    assert [p.code for p in provisions] == ["KZ-CC-274", "KZ-CC-174"]
    assert [model_to_dict(e) for e in evidence] == [model_to_dict(e) for e in request.evidence.all()]
    assert len(evidence) == 2


@pytest.mark.django_db
def test_the_provisions_a_draft_offers_are_its_jurisdiction_s_by_code(kz_scenario):
    expected = list(provisions_for_jurisdiction("KZ").values_list("code", "title"))

    assert provision_titles("KZ") == provision_titles("kz") == expected
    assert len(expected) >= 5 and [code for code, _title in expected] == sorted(code for code, _title in expected)
    assert provision_titles("ZZ") == []


@pytest.mark.django_db
def test_another_agencys_or_exercises_request_is_missing_like_an_unknown_one(kz_reporter, kz_prosecutor,
                                                                             harmless_content_code, classroom):
    request = filed(kz_reporter, harmless_content_code)
    # A reporter of the same agency in another exercise (a classroom's copy of the scenario) sees none of it.
    elsewhere = ReporterAccount(user=UserFactory(username="misd-elsewhere"), agency=kz_reporter.agency,
                                exercise=classroom.exercise)

    for reporter, key in ((kz_prosecutor, {"reference": request.reference}), (kz_prosecutor, {"pk": request.pk}),
                          (elsewhere, {"reference": request.reference}), (kz_reporter, {"reference": "CRS-2021-9"})):
        with pytest.raises(TakedownRequest.DoesNotExist):
            agency_request(reporter, **key)


@pytest.mark.django_db(transaction=True)
def test_a_locked_read_holds_the_request_row_and_not_its_agencys(kz_reporter, harmless_content_code):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole database")
    import psycopg

    request = filed(kz_reporter, harmless_content_code)
    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                            port=settings["PORT"] or 5432, autocommit=True)
    try:
        with transaction.atomic():
            agency_request(kz_reporter, pk=request.pk, lock=True)
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT 1 FROM reports_takedownrequest WHERE id = %s FOR UPDATE NOWAIT", [request.pk])
            other.execute("SELECT 1 FROM reports_agency WHERE id = %s FOR UPDATE NOWAIT", [kz_reporter.agency_id])
    finally:
        other.close()


@pytest.mark.django_db
def test_what_a_stored_request_states_is_read_in_one_query_as_the_orm_reads_it(kz_reporter, django_assert_num_queries):
    from filing.inputs import ItemInput, request_as_input

    request = filed(kz_reporter, "kz-0012", "kz-0007", legal_basis=["KZ-CC-174", "KZ-CC-130"])
    url = "https://elsewhere.example/post/1"
    request.items.create(position=3, url=url, snapshot={})
    stored = TakedownRequest.objects.get(pk=request.pk)

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        read = request_as_input(stored)
    through_the_orm = request_as_input(stored, items=list(stored.items.select_related("content")),
                                       citations=list(stored.citations.select_related("provision")))

    assert read == through_the_orm
    assert read.items == [ItemInput("kz-0012"), ItemInput("kz-0007"), ItemInput(url=url)]
    assert read.legal_basis == ["KZ-CC-174", "KZ-CC-130"]
