"""The same process for every government, shown over many generated cases.

Routing cannot see who asked: it receives check results only. These properties show
the stronger claim: the same request gets the same checks and the same route whichever
government files it, once the law it cites is that government's own.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filing.inputs import ItemInput, RequestInput
from filing.services import request_file
from reports.models import Category, Persona
from review.check_input import build_check_input
from review.checks import run_checks
from review.routing import route
from review.rules import DEFAULT_RULES_FILE, compile_rules, load_rules_file
from review.uniformity import workflow_uniformity

RULES = compile_rules(load_rules_file(DEFAULT_RULES_FILE))
TEXTS = ["The minister has failed us again.", "Join the peaceful rally on Saturday.", "Burn them down tonight.",
         "Miracle cure: drink this and covid is gone.", "Lovely weather in the mountains.",
         "Send me your private photos, you are only 13.", ""]

provision = st.fixed_dictionaries({
    "code": st.sampled_from(["P-1", "P-2", "P-3", "P-4"]),
    "home": st.booleans(),  # the requester's own jurisdiction, or another one
    "categories": st.lists(st.sampled_from(Category.values), min_size=1, max_size=4, unique=True),
    "in_force_from": st.sampled_from(["2010-01-01", "2021-06-01", "2023-07-10"]),
    "in_force_until": st.sampled_from([None, None, "2021-01-01", "2030-12-31"]),
    "concern": st.booleans(),
    "title": st.sampled_from(["Incitement", "Participation in an extremist organisation", "Insult"]),
})
item = st.fixed_dictionaries({
    "resolved": st.booleans(),
    "text": st.sampled_from(TEXTS),
    "persona": st.sampled_from(Persona.values),
    "posted_on": st.sampled_from(["2019-05-01", "2021-10-01", "2024-02-02"]),
})
request = st.fixed_dictionaries({
    "category": st.sampled_from(Category.values),
    "requested_action": st.sampled_from(["", "remove_globally", "restrict_in_jurisdiction"]),
    "urgency": st.sampled_from(["standard", "imminent_harm"]),
    "justification_chars": st.sampled_from([0, 10, 200]),
    "confidentiality_requested": st.booleans(),
    "submitted_on": st.sampled_from(["2021-11-02", "2024-03-01"]),
    "court_order": st.sampled_from([None, {"court": "c", "case_number": "1", "date": None}]),
})


def materialise(generated_request, generated_items, generated_provisions, *, home: str, abroad: str) -> dict:
    """A check input as the requester of ``home`` would produce it."""
    return {
        "request": {**generated_request, "jurisdiction": home},
        "items": [{**i, "position": n, "url": f"https://platform.example/p/x-{n:04d}", "language": "en",
                   "country": home} for n, i in enumerate(generated_items, start=1)],
        "provisions": [{"code": p["code"], "jurisdiction": home if p["home"] else abroad, "title": p["title"],
                        "description": "", "categories": p["categories"], "in_force_from": p["in_force_from"],
                        "in_force_until": p["in_force_until"] if (p["in_force_until"] or "9") > p["in_force_from"]
                        else None, "concern": p["concern"]}
                       for p in {p["code"]: p for p in generated_provisions}.values()],
    }


def decided(check_input):
    outcomes = run_checks(check_input, RULES)
    return [(o.name, o.verdict, o.flags) for o in outcomes], route(outcomes, RULES).as_dict()


@settings(max_examples=400, deadline=None)
@given(request, st.lists(item, min_size=1, max_size=4), st.lists(provision, max_size=3),
       st.sampled_from(["KZ", "DE", "IN", "TR", "BR", "FR", "RU"]),
       st.sampled_from(["KZ", "DE", "IN", "TR", "BR", "FR", "RU"]))
def test_the_same_request_gets_the_same_checks_and_route_in_every_jurisdiction(req, items, provisions, first, second):
    abroad = "US"
    results_first = decided(materialise(req, items, provisions, home=first, abroad=abroad))
    results_second = decided(materialise(req, items, provisions, home=second, abroad=abroad))

    assert results_first == results_second


@settings(max_examples=200, deadline=None)
@given(request, st.lists(item, min_size=1, max_size=4), st.lists(provision, max_size=3))
def test_routing_is_a_pure_function_of_the_check_results(req, items, provisions):
    check_input = materialise(req, items, provisions, home="KZ", abroad="US")
    outcomes = run_checks(check_input, RULES)

    assert route(outcomes, RULES) == route(copy.deepcopy(outcomes), RULES)
    assert route(outcomes, RULES) == route(run_checks(copy.deepcopy(check_input), RULES), RULES)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(Category.values), st.sampled_from(["remove_globally", "restrict_in_jurisdiction"]),
       st.lists(st.sampled_from(["kz-0003", "kz-0007", "kz-0014", "kz-0020", "kz-0028"]), min_size=1, max_size=3,
                unique=True))
def test_two_agencies_filing_the_same_request_produce_the_same_check_input(kz_reporter, kz_prosecutor, category,
                                                                           action, codes):
    data = RequestInput(items=[ItemInput(content_id=c) for c in codes], category=category, legal_basis=["KZ-CC-174"],
                        requested_action=action, justification="The same justification, word for word, as given.")
    first, _ = request_file(reporter=kz_reporter, data=data)
    second, _ = request_file(reporter=kz_prosecutor, data=data)

    assert build_check_input(first) == build_check_input(second)


@pytest.mark.django_db
def test_the_uniformity_report_shows_one_process_for_every_jurisdiction(kz_reporter, de_reporter):
    from review.services import request_screen

    for reporter, content, law in ((kz_reporter, "kz-0007", "KZ-CC-174"), (de_reporter, "de-0001", "DE-STGB-130")):
        filed, _ = request_file(reporter=reporter, data=RequestInput(
            items=[ItemInput(content_id=content)], category="hate_speech", legal_basis=[law],
            requested_action="restrict_in_jurisdiction", justification="A justification long enough to count."))
        request_screen(request_id=filed.pk)

    report = workflow_uniformity()

    assert report["identical"] is True
    assert report["differences"] == []
    sequence = "completeness>platform_policy>local_law>human_rights"
    assert report["jurisdictions"]["KZ"]["check_sequences"] == {sequence: 1}
    assert report["jurisdictions"]["DE"]["check_sequences"] == {sequence: 1}
    assert report["jurisdictions"]["DE"]["workflow_versions"] == {"1": 1}


@pytest.mark.django_db
def test_the_uniformity_report_names_a_jurisdiction_that_went_through_another_workflow(kz_reporter, de_reporter):
    from review.models import ScreeningRun
    from review.services import request_screen

    for reporter, content, law in ((kz_reporter, "kz-0007", "KZ-CC-174"), (de_reporter, "de-0001", "DE-STGB-130")):
        filed, _ = request_file(reporter=reporter, data=RequestInput(
            items=[ItemInput(content_id=content)], category="hate_speech", legal_basis=[law],
            requested_action="restrict_in_jurisdiction", justification="A justification long enough to count."))
        request_screen(request_id=filed.pk)
    ScreeningRun.objects.filter(request__agency__jurisdiction_id="KZ").update(workflow_version="0-fast")

    report = workflow_uniformity()

    assert report["identical"] is False
    assert report["differences"] == [
        {"jurisdiction": "DE", "workflow_versions_not_shared": ["1"], "check_sequences_not_shared": []},
        {"jurisdiction": "KZ", "workflow_versions_not_shared": ["0-fast"], "check_sequences_not_shared": []}]


@pytest.mark.django_db
def test_auditors_read_the_uniformity_report_from_the_api(kz_reporter, auditor, outsider):
    from rest_framework.test import APIClient

    from review.services import request_screen

    filed, _ = request_file(reporter=kz_reporter, data=RequestInput(
        items=[ItemInput(content_id="kz-0007")], category="hate_speech", legal_basis=["KZ-CC-174"],
        requested_action="restrict_in_jurisdiction", justification="A justification long enough to count."))
    request_screen(request_id=filed.pk)
    api = APIClient()

    api.force_authenticate(outsider)
    assert api.get("/api/v1/audit/uniformity/").status_code == 403
    api.force_authenticate(auditor)
    body = api.get("/api/v1/audit/uniformity/").json()

    assert body["identical"] is True
    assert body["jurisdictions"]["KZ"]["screenings"] == 1
