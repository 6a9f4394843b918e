"""The database itself refuses invalid rows, not only the forms."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from filing.inputs import ItemInput, RequestInput
from filing.services import request_file
from reports.models import Agency, Exercise, LegalProvision, ReporterAccount, RequestItem, TakedownRequest
from reports.tenancy import exercise_default
from review.models import Decision
from tests.factories import AgencyFactory, ContentFactory, ProvisionFactory, ReporterFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


@pytest.fixture
def filed(kz_reporter, harmless_content_code) -> TakedownRequest:
    request, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id=harmless_content_code)], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification="Long enough justification for the test."))
    return request


def test_a_status_outside_the_workflow_is_refused(filed):
    refused(lambda: TakedownRequest.objects.filter(pk=filed.pk).update(status="fast_tracked"))


def test_a_category_outside_the_vocabulary_is_refused(filed):
    refused(lambda: TakedownRequest.objects.filter(pk=filed.pk).update(category="dissent"))


def test_references_are_unique(filed, kz_reporter):
    other = TakedownRequest.objects.create(exercise=filed.exercise, agency=filed.agency, authority_type="ministry",
                                           submitted_by=kz_reporter.user, submission_method="api", category="other")
    refused(lambda: TakedownRequest.objects.filter(pk=other.pk).update(reference=filed.reference))


def test_a_reference_must_have_the_documented_format(filed):
    refused(lambda: TakedownRequest.objects.filter(pk=filed.pk).update(reference="URGENT-1"))


def test_a_queued_request_must_have_a_queue_priority_and_sla(filed):
    refused(lambda: TakedownRequest.objects.filter(pk=filed.pk).update(status="queued"))


def test_only_a_request_in_review_can_be_claimed(filed, policy_reviewer):
    refused(lambda: TakedownRequest.objects.filter(pk=filed.pk).update(claimed_by=policy_reviewer))


def test_an_external_id_is_unique_per_agency(filed, kz_reporter):
    TakedownRequest.objects.filter(pk=filed.pk).update(external_id="case-1")

    def duplicate():
        TakedownRequest.objects.create(exercise=filed.exercise, agency=filed.agency, authority_type="ministry",
                                       submitted_by=kz_reporter.user, submission_method="api", category="other",
                                       external_id="case-1")

    refused(duplicate)


def test_the_same_external_id_may_be_used_by_another_agency(filed, kz_prosecutor):
    TakedownRequest.objects.filter(pk=filed.pk).update(external_id="case-1")

    TakedownRequest.objects.create(exercise=filed.exercise, agency=kz_prosecutor.agency, authority_type="prosecutor",
                                   submitted_by=kz_prosecutor.user, submission_method="api", category="other",
                                   external_id="case-1")


def test_an_item_needs_content_or_a_url(filed):
    refused(lambda: RequestItem.objects.create(request=filed, position=9))


def test_an_item_with_content_needs_its_snapshot_hash(filed):
    content = ContentFactory()
    refused(lambda: RequestItem.objects.create(request=filed, position=9, content=content))


def test_one_decision_per_item_per_round(filed, senior_reviewer):
    item = filed.items.get()

    def decide():
        return Decision.objects.create(request=filed, item=item, round=1, action="no_action",
                                       reason_code="not_unlawful", rationale="Not unlawful.",
                                       reviewer=senior_reviewer, reviewer_tier="senior_reviewer")

    decide()
    refused(decide)


def test_a_decision_needs_a_rationale(filed, senior_reviewer):
    refused(lambda: Decision.objects.create(request=filed, item=filed.items.get(), round=1, action="no_action",
                                            reason_code="not_unlawful", rationale="", reviewer=senior_reviewer,
                                            reviewer_tier="senior_reviewer"))


def test_a_rejected_reporter_account_needs_a_reason():
    account = ReporterFactory()
    refused(lambda: ReporterAccount.objects.filter(pk=account.pk).update(verification="rejected"))


def test_a_provision_cannot_end_before_it_starts():
    provision = ProvisionFactory()
    refused(lambda: LegalProvision.objects.filter(pk=provision.pk).update(in_force_until=date(2000, 1, 1)))


def test_there_is_one_default_exercise():
    exercise_default()
    refused(lambda: Exercise.objects.create(slug="second", name="Second", is_default=True))


def test_agencies_with_requests_cannot_be_deleted(filed):
    with pytest.raises(ProtectedError):
        Agency.objects.filter(pk=filed.agency_id).delete()


def test_requests_with_history_cannot_be_deleted(filed):
    with pytest.raises(ProtectedError):
        TakedownRequest.objects.filter(pk=filed.pk).delete()


def test_cited_provisions_cannot_be_deleted(filed):
    with pytest.raises(ProtectedError):
        LegalProvision.objects.filter(code="KZ-CC-174").delete()


ACCESS_TIER_WORDS = ("exclusive", "priority", "trusted", "tier", "vip", "fast", "direct", "partner", "whitelist")


@pytest.mark.parametrize("model", [Agency, ReporterAccount, UserFactory._meta.model])
def test_no_field_gives_one_government_more_access_than_another(model):
    names = [field.name.lower() for field in model._meta.get_fields()]

    assert [n for n in names if any(word in n for word in ACCESS_TIER_WORDS)] == []


def test_the_only_per_agency_value_on_a_request_is_who_asked(filed):
    # priority exists on a request, but routing sets it from check results (review/routing.py);
    # nothing on the agency or the reporter account feeds it.
    agency_fields = {f.name for f in Agency._meta.get_fields() if f.concrete}
    assert agency_fields == {"id", "code", "jurisdiction", "name", "authority_type", "state"}


def test_factories_build_valid_rows():
    agency = AgencyFactory()
    assert agency.jurisdiction_id == "KZ"
