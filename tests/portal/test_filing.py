"""Filing through the web form: the Report button, the draft form, uploads, review and submit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from filing.inputs import ItemInput, RequestInput
from filing.services import draft_add_content, request_draft_save
from reports.models import ContentItem, Evidence, RequestItem, Status, TakedownRequest
from tests.builders import JUSTIFICATION, PDF, PNG, pdf_upload, stored_evidence_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(kz_reporter, harmless_content_code):
    return draft_add_content(reporter=kz_reporter, content=ContentItem.objects.get(code=harmless_content_code))


@pytest.fixture
def reporter_client(client, kz_reporter):
    client.force_login(kz_reporter.user)
    return client


def edit_url(draft) -> str:
    return reverse("portal:draft-edit", args=[draft.reference])


def form_data(**overrides) -> dict:
    return {"category": "hate_speech", "legal_basis": ["KZ-CC-174"], "requested_action": "restrict_in_jurisdiction",
            "justification": JUSTIFICATION, "court_name": "", "court_case_number": "", "court_order_date": "",
            "urgency": "standard", "evidence_kind": "supporting", "add_item": "", "action": "save", **overrides}


def test_the_report_button_adds_the_post_to_the_reporters_draft_once(reporter_client, kz_reporter,
                                                                     harmless_content_code):
    report = reverse("portal:platform-report")

    feed_url = "/platform/?country=KZ&persona=ordinary_user"
    first = reporter_client.post(report, {"content": harmless_content_code, "next": feed_url})
    reporter_client.post(report, {"content": harmless_content_code})

    assert first.status_code == 302
    assert first["Location"] == f"{feed_url}#post-{harmless_content_code}"
    draft = TakedownRequest.objects.get(submitted_by=kz_reporter.user)
    assert draft.status == Status.DRAFT
    assert list(draft.items.values_list("content__code", flat=True)) == [harmless_content_code]
    feed = reporter_client.get(feed_url)
    assert f"Post {harmless_content_code} is in your draft {draft.reference} (1 item).".encode() in feed.content
    assert f"In your draft {draft.reference}".encode() in feed.content


def test_the_report_button_does_not_follow_a_next_link_to_another_site(reporter_client, harmless_content_code):
    response = reporter_client.post(reverse("portal:platform-report"),
                                    {"content": harmless_content_code, "next": "https://evil.example/"})

    assert response["Location"] == f"/platform/#post-{harmless_content_code}"


def test_the_draft_form_offers_only_the_reporters_own_jurisdictions_provisions(reporter_client, draft, de_reporter):
    response = reporter_client.get(edit_url(draft))

    assert b'value="KZ-CC-174"' in response.content
    assert b"Inciting social, national, clan, racial, class or religious discord" in response.content
    assert b'value="DE-' not in response.content


def test_citing_another_jurisdictions_provision_is_refused_and_nothing_is_saved(reporter_client, draft, de_reporter):
    foreign = de_reporter.agency.jurisdiction.provisions.order_by("code").first().code

    response = reporter_client.post(edit_url(draft), form_data(legal_basis=["KZ-CC-174", foreign]))

    assert response.status_code == 400
    assert (f"Select a valid choice. {foreign} is not one of the available choices.".encode()
            in response.content)
    draft.refresh_from_db()
    assert (draft.category, draft.justification, draft.citations.count()) == ("", "", 0)


def test_a_field_error_is_shown_next_to_its_field_and_keeps_what_was_typed(reporter_client, draft):
    response = reporter_client.post(edit_url(draft), form_data(court_name="Medeu District Court of Almaty",
                                                               court_order_date="2021-13-45"))

    assert response.status_code == 400
    html = response.content.decode()
    assert '<ul class="errors" id="id_court_order_date_error"><li>Enter a valid date.</li></ul>' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_court_order_date_error"' in html
    assert JUSTIFICATION in html
    assert 'value="Medeu District Court of Almaty"' in html
    assert 'value="KZ-CC-174" id="id_legal_basis_1"' in html and "checked" in html
    draft.refresh_from_db()
    assert (draft.justification, draft.court_name) == ("", "")


def test_a_service_refusal_is_mapped_next_to_the_field_it_is_about(reporter_client, draft):
    response = reporter_client.post(edit_url(draft), form_data(court_name="Medeu District Court of Almaty"))

    assert response.status_code == 400
    html = response.content.decode()
    assert '<ul class="errors" id="id_court_case_number_error"><li>Give the case number.</li></ul>' in html
    assert JUSTIFICATION in html
    draft.refresh_from_db()
    assert (draft.justification, draft.court_name) == ("", "")


def test_an_unknown_post_id_is_refused_next_to_the_box_it_was_typed_in(reporter_client, draft):
    response = reporter_client.post(edit_url(draft), form_data(add_item="kz-9999"))

    assert response.status_code == 400
    html = response.content.decode()
    assert ('<ul class="errors" id="id_add_item_error"><li>No content with id &#x27;kz-9999&#x27; on the '
            "platform.</li></ul>") in html
    assert 'value="kz-9999"' in html
    assert draft.items.count() == 1


def test_saving_the_draft_stores_every_field(reporter_client, draft):
    response = reporter_client.post(edit_url(draft), form_data(
        court_name="Medeu District Court of Almaty", court_case_number="2-1187/2021", court_order_date="2021-10-28",
        urgency="imminent_harm", confidentiality_requested="on", add_item="https://platform.example/p/kz-0001"))

    assert response.status_code == 302
    assert response["Location"] == edit_url(draft)
    draft.refresh_from_db()
    assert (draft.category, draft.requested_action, draft.justification, draft.urgency) == (
        "hate_speech", "restrict_in_jurisdiction", JUSTIFICATION, "imminent_harm")
    assert (draft.court_name, draft.court_case_number, str(draft.court_order_date)) == (
        "Medeu District Court of Almaty", "2-1187/2021", "2021-10-28")
    assert draft.confidentiality_requested is True
    assert [c.provision.code for c in draft.citations.all()] == ["KZ-CC-174"]
    assert [i.content.code for i in draft.items.order_by("position")][1] == "kz-0001"


def test_the_remove_button_removes_that_item_and_keeps_the_rest_of_the_form(reporter_client, kz_reporter, draft):
    draft_add_content(reporter=kz_reporter, content=ContentItem.objects.get(code="kz-0001"))

    response = reporter_client.post(edit_url(draft), form_data(remove_item="1"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert list(draft.items.values_list("content__code", flat=True)) == ["kz-0001"]
    assert draft.justification == JUSTIFICATION


BAD_UPLOADS = [
    ("evidence.pdf", b"<html>not a PDF at all</html>",
     "Only PDF, PNG and JPEG files are accepted; this file is none of them."),
    ("scan.pdf", PDF + b"0" * (5 * 1024 * 1024), "The file is 5.0 MB; the limit is 5 MB."),
    ("empty.pdf", b"", "The file is empty."),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_UPLOADS, ids=["wrong-type", "too-large", "empty"])
def test_a_bad_upload_is_refused_next_to_the_field_and_nothing_is_stored(reporter_client, draft, name, content,
                                                                         message):
    files_before = stored_evidence_files()

    response = reporter_client.post(edit_url(draft), {**form_data(), "evidence": pdf_upload(name, content)})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'<ul class="errors" id="id_evidence_error"><li>{message}</li></ul>' in html
    # said inside the problem box, not above it as if all were well
    summary = html[html.index('class="error-summary"'):]
    assert "Everything else you entered is saved in the draft." in summary[:summary.index("</div>")]
    assert JUSTIFICATION in html
    assert Evidence.objects.count() == 0
    assert stored_evidence_files() == files_before
    draft.refresh_from_db()
    assert draft.justification == JUSTIFICATION


IMAGE = PNG + b"a picture no other test stores"


def test_a_good_upload_is_stored_privately_under_a_generated_name(reporter_client, draft):
    files_before = stored_evidence_files()

    response = reporter_client.post(edit_url(draft), {**form_data(evidence_kind="court_order"),
                                                      "evidence": pdf_upload("../../etc/order.png", IMAGE)})

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.content_type, evidence.original_name, evidence.size) == (
        "court_order", "image/png", "order.png", len(IMAGE))
    new_files = set(stored_evidence_files()) - set(files_before)
    assert [path.name for path in new_files] == [f"{draft.reference}-{evidence.sha256[:16]}.png"]
    assert new_files.pop().read_bytes() == IMAGE


def test_an_upload_is_not_taken_when_other_fields_are_wrong(reporter_client, draft):
    response = reporter_client.post(edit_url(draft), {**form_data(court_order_date="yesterday"),
                                                      "evidence": pdf_upload()})

    assert response.status_code == 400
    assert (b"Choose the file again: nothing was uploaded because of the problems above."
            in response.content)
    assert Evidence.objects.count() == 0


def test_review_needs_at_least_one_item_and_a_category(reporter_client, kz_reporter):
    empty = request_draft_save(reporter=kz_reporter, data=RequestInput())

    response = reporter_client.post(edit_url(empty), form_data(category="", action="review"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Name at least one item: a content id or a URL." in html
    assert '<ul class="errors" id="id_category_error"><li>Choose the reason category.</li></ul>' in html
    assert JUSTIFICATION in html


def test_review_shows_what_will_be_sent_and_warns_about_what_is_missing(reporter_client, draft):
    reporter_client.post(edit_url(draft), {**form_data(legal_basis=[], justification=""), "evidence": pdf_upload()})

    response = reporter_client.get(reverse("portal:draft-review", args=[draft.reference]))

    html = response.content.decode()
    assert "You cite no legal provision and no court order." in html
    assert "You give no justification." in html
    assert "order.pdf" in html
    assert "Send the request to the platform" in html


def test_submitting_files_the_request_with_its_evidence(reporter_client, kz_reporter, draft,
                                                        django_capture_on_commit_callbacks):
    reporter_client.post(edit_url(draft), {**form_data(), "evidence": pdf_upload()})

    response = reporter_client.post(reverse("portal:draft-submit", args=[draft.reference]))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request-detail", args=[draft.reference])
    draft.refresh_from_db()
    assert (draft.status, draft.submission_method) == (Status.SUBMITTED, "form")
    item = RequestItem.objects.get(request=draft)
    assert item.snapshot["text"] == item.content.text and len(item.snapshot_sha256) == 64
    event = AuditEvent.objects.get(request=draft, event_type="request_submitted")
    assert event.payload["evidence"] == [{"kind": "supporting", "sha256": draft.evidence.get().sha256}]
    page = reporter_client.get(response["Location"])
    assert f"{draft.reference} is submitted.".encode() in page.content


def test_a_refused_submission_comes_back_to_the_form_with_the_problem_next_to_its_field(reporter_client,
                                                                                        kz_reporter):
    incomplete = request_draft_save(reporter=kz_reporter, data=RequestInput(justification=JUSTIFICATION))

    response = reporter_client.post(reverse("portal:draft-submit", args=[incomplete.reference]))

    assert response.status_code == 400
    html = response.content.decode()
    assert '<ul class="errors" id="id_category_error"><li>Choose the reason category.</li></ul>' in html
    assert JUSTIFICATION in html
    incomplete.refresh_from_db()
    assert incomplete.status == Status.DRAFT


def test_submitting_twice_files_once(reporter_client, draft):
    reporter_client.post(edit_url(draft), form_data())
    submit = reverse("portal:draft-submit", args=[draft.reference])

    reporter_client.post(submit)
    second = reporter_client.post(submit, follow=True)

    assert second.redirect_chain[-1][0] == reverse("portal:request-detail", args=[draft.reference])
    assert f"{draft.reference} is submitted; only drafts can be edited.".encode() in second.content
    assert AuditEvent.objects.filter(request=draft, event_type="request_submitted").count() == 1


def test_starting_a_new_request_opens_an_empty_draft(reporter_client, kz_reporter):
    response = reporter_client.post(reverse("portal:draft-new"))

    draft = TakedownRequest.objects.get(submitted_by=kz_reporter.user)
    assert response["Location"] == edit_url(draft)
    assert (draft.status, draft.items.count()) == (Status.DRAFT, 0)


def posts_sql(client, kz_reporter, *, earlier: list[str], added: str) -> list[int]:
    """Queries of each of the three POSTs (new draft, save and review, submit), ``earlier`` items in the draft."""
    counts = []
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("portal:draft-new"))
    counts.append(len(captured.captured_queries))
    draft = TakedownRequest.objects.get(reference=response["Location"].rstrip("/").split("/")[-2])
    request_draft_save(reporter=kz_reporter, draft=draft,
                       data=RequestInput(items=[ItemInput(content_id=code) for code in earlier]))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(edit_url(draft), form_data(add_item=added, action="review"))
    assert response.status_code == 302, response.content.decode()[:2000]
    counts.append(len(captured.captured_queries))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("portal:draft-submit", args=[draft.reference]))
    assert response.status_code == 302
    counts.append(len(captured.captured_queries))
    assert TakedownRequest.objects.get(pk=draft.pk).status == Status.SUBMITTED
    assert RequestItem.objects.filter(request=draft).count() == len(earlier) + 1
    return counts


def test_the_forms_posts_cost_the_same_queries_for_two_items_or_five(reporter_client, kz_reporter):
    codes = list(ContentItem.objects.filter(exercise=kz_reporter.exercise, code__startswith="kz-")
                 .order_by("code").values_list("code", flat=True)[:7])
    posts_sql(reporter_client, kz_reporter, earlier=codes[5:6], added=codes[6])  # what stays cached (active rules)

    # A saved draft's items are replaced; a draft that had none skips the delete's checks for what
    # depends on them (appeals, decisions): hence one earlier item against four, not none.
    two = posts_sql(reporter_client, kz_reporter, earlier=codes[:1], added=codes[1])
    five = posts_sql(reporter_client, kz_reporter, earlier=codes[1:5], added=codes[0])

    assert two == five
    assert sum(two) == FORM_FILING_QUERIES


# New draft 8, save and review 19, submit 13, savepoints included (5, 11 and 11 on PostgreSQL, where an
# audit event and its PendingSeal row are one statement, with a new draft's own row, audit/events.py;
# saving a draft deletes its items and citations in its request's UPDATE and writes the new ones in one
# statement, filing/services/storing.py; the session's user is read with their reporter account,
# reports/auth.py, and a draft's posts and provisions in one statement, filing/inputs.py). The session
# comes from the cache (the user is still read); a new draft's id is taken from its sequence so that its
# reference is written with it; the submit reads the locked draft with its agency, exercise and
# submitter in one query, and its items and citations once, to check them and to snapshot the posts;
# the reporter's account carries its user. Saving writes the request's kept item count (for the
# transparency figures) with the request's row.
FORM_FILING_QUERIES = 5 + 11 + 11 if connection.vendor == "postgresql" else 8 + 19 + 13
