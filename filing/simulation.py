"""Synthetic requests for classes and benchmarks, filed through the same service as everyone else."""

from __future__ import annotations

import random
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.utils import timezone

from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from reports.models import Agency, ContentItem, LegalProvision, ReporterAccount, RequestedAction, Urgency
from reports.tenancy import exercise_default

JUSTIFICATIONS = [
    "The post {verb} and falls within {provision}; it has been seen by many users in {country}.",
    "Our monitoring found that this content {verb}. Under {provision} its distribution is an offence in {country}.",
    "The author {verb}. The competent authority considers this unlawful under {provision}.",
]
VERBS = {
    "government_criticism": "discredits state bodies and their officials",
    "false_information": "spreads knowingly false information that may disturb public order",
    "hate_speech": "incites hatred against a group of citizens",
    "national_security": "threatens national security",
    "bullying_harassment": "harasses a minor online",
    "child_safety": "endangers the safety of a child",
    "defamation": "defames a public official",
    "fraud": "invites users into a fraudulent scheme",
    "violence": "calls for violence",
    "electoral_law": "breaches the rules of the election campaign",
    "religious_offense": "insults the religious feelings of believers",
}


def simulation_reporter(agency: Agency) -> ReporterAccount:
    """A verified reporter for the agency: an existing one, or a simulated one created for this purpose."""
    account = (ReporterAccount.objects.filter(agency=agency, verification=ReporterAccount.Verification.VERIFIED)
               .select_related("user", "agency__jurisdiction", "exercise").first())
    if account is not None:
        return account
    user, _ = get_user_model().objects.get_or_create(username=f"sim-{agency.code}")
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return ReporterAccount.objects.create(
        user=user, exercise=exercise_default(), agency=agency, official_title="Simulated reporter",
        work_email=f"sim-{agency.code}@gov.example", verification=ReporterAccount.Verification.VERIFIED,
        verified_at=timezone.now())


def synthetic_requests(*, count: int, jurisdiction: str | None = None, seed: int = 2021,
                       ) -> Iterator[tuple[ReporterAccount, RequestInput]]:
    """Yield (reporter, input) pairs: realistic, varied, and sometimes incomplete, as real traffic is."""
    rng = random.Random(seed)
    agencies = list(Agency.objects.filter(state=Agency.State.ACTIVE).select_related("jurisdiction"))
    if jurisdiction:
        agencies = [a for a in agencies if a.jurisdiction_id == jurisdiction.upper()]
    if not agencies:
        raise ValueError("No active agencies" + (f" in {jurisdiction}" if jurisdiction else "") +
                         "; load a scenario first.")
    reporters = {agency.pk: simulation_reporter(agency) for agency in agencies}
    provisions: dict[str, list[LegalProvision]] = {}
    for provision in LegalProvision.objects.all():
        provisions.setdefault(provision.jurisdiction_id, []).append(provision)
    content_by_exercise: dict[int, dict[str, list[str]]] = {}

    for _ in range(count):
        agency = rng.choice(agencies)
        reporter = reporters[agency.pk]
        if reporter.exercise_id not in content_by_exercise:
            by_country: dict[str, list[str]] = {}
            for code, country in ContentItem.objects.filter(exercise_id=reporter.exercise_id).values_list(
                    "code", "country"):
                by_country.setdefault(country, []).append(code)
            content_by_exercise[reporter.exercise_id] = by_country
        by_country = content_by_exercise[reporter.exercise_id]
        own = by_country.get(agency.jurisdiction_id) or [c for codes in by_country.values() for c in codes]
        pool = own if rng.random() < 0.85 else [c for codes in by_country.values() for c in codes]
        codes = rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 1, 2, 2, 3])))
        catalog = provisions.get(agency.jurisdiction_id, [])
        cited = rng.sample(catalog, k=min(len(catalog), rng.choice([1, 1, 2]))) if catalog else []
        category = rng.choice(cited[0].categories) if cited else rng.choice(list(VERBS))
        if rng.random() < 0.05 and catalog:
            cited = []  # a request with no legal basis: completeness sends it back
        court = agency.authority_type == "court" or rng.random() < 0.2
        justification = "" if rng.random() < 0.07 else rng.choice(JUSTIFICATIONS).format(
            verb=VERBS.get(category, "breaks the law"),
            provision=", ".join(p.citation for p in cited) or "the applicable law",
            country=agency.jurisdiction.name)
        yield reporter, RequestInput(
            items=[ItemInput(content_id=code) for code in codes],
            category=category,
            legal_basis=[p.code for p in cited],
            requested_action=rng.choice([RequestedAction.RESTRICT_IN_JURISDICTION] * 3
                                        + [RequestedAction.REMOVE_GLOBALLY]),
            justification=justification,
            urgency=Urgency.IMMINENT_HARM if rng.random() < 0.05 else Urgency.STANDARD,
            court_order=CourtOrderInput(court=f"{agency.jurisdiction.name} district court",
                                        case_number=f"{rng.randint(1, 9)}-{rng.randint(1000, 9999)}/2021")
            if court else None,
        )
