"""Scenarios load completely, idempotently, and refuse malformed files without touching the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from classroom.scenarios import ScenarioError, load_scenario
from reports.models import Agency, ContentItem, Jurisdiction, LegalProvision, Persona, PlatformAccount

pytestmark = pytest.mark.django_db
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Jurisdiction, LegalProvision, Agency, PlatformAccount, ContentItem)}


def snapshot() -> list:
    return [list(model.objects.order_by("pk").values()) for model in (LegalProvision, Agency, ContentItem)]


def test_kazakhstan_scenario_loads_the_seed_case():
    report = load_scenario("kazakhstan-2021")

    assert report.created["provisions"] >= 6
    assert Agency.objects.get(code="kz-misd").name == "Ministry of Information and Social Development"
    assert LegalProvision.objects.get(code="KZ-CC-174").concern is True
    assert ContentItem.objects.filter(code="kz-0007").exists()


def test_comparative_scenario_meets_its_size_and_variety():
    load_scenario("comparative")

    assert Jurisdiction.objects.count() >= 6
    assert LegalProvision.objects.count() >= 40
    assert ContentItem.objects.count() >= 60
    personas = set(PlatformAccount.objects.values_list("persona", flat=True))
    assert personas == set(Persona.values)


def test_both_scenarios_load_into_one_exercise_without_overwriting_each_other():
    load_scenario("kazakhstan-2021")
    before = list(ContentItem.objects.filter(code__startswith="kz-").order_by("code").values_list("code", "text"))

    report = load_scenario("comparative")

    assert "content items" not in report.updated
    after = ContentItem.objects.filter(code__in=[code for code, _ in before]).order_by("code")
    assert list(after.values_list("code", "text")) == before


def test_a_second_load_changes_nothing():
    load_scenario("kazakhstan-2021")
    before = snapshot()

    report = load_scenario("kazakhstan-2021")

    assert not report.changed
    assert snapshot() == before


def test_load_scenario_command_prints_a_summary(capsys):
    call_command("load_scenario", "kazakhstan-2021")

    assert "Scenario kazakhstan-2021: created" in capsys.readouterr().out


def test_an_unknown_scenario_name_lists_the_known_ones():
    with pytest.raises(CommandError,
                       match="No scenario named 'atlantis'. Known scenarios: comparative, kazakhstan-2021"):
        call_command("load_scenario", "atlantis")


def _broken(tmp_path, mutate) -> Path:
    data = yaml.safe_load((SCENARIOS / "kazakhstan-2021.yaml").read_text())
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _set(path_in_data, value):
    def mutate(data):
        target = data
        for key in path_in_data[:-1]:
            target = target[key]
        target[path_in_data[-1]] = value
    return mutate


MALFORMED = [
    (_set(["content", 3, "posted_at"], "yesterday"),
     r"content\[3\] \(kz-0004\): field 'posted_at' value 'yesterday' is not an ISO 8601 date-time"),
    (_set(["content", 0, "author"], "nobody"),
     r"content\[0\] \(kz-0001\): field 'author' value 'nobody' is not an account of this file"),
    (_set(["jurisdictions", 0, "provisions", 0, "categories"], ["dissent"]),
     r"jurisdictions\[0\] \(KZ\) provisions\[0\] \(KZ-CC-174\): field 'categories' has unknown category 'dissent'"),
    (_set(["agencies", 0, "authority_type"], "secret_service"),
     r"agencies\[0\] \(kz-misd\): field 'authority_type' value 'secret_service' is not one of"),
    (_set(["accounts", 0, "persona"], "celebrity"),
     r"accounts\[0\] \(@[a-z0-9_.]+\): field 'persona' value 'celebrity' is not one of"),
    (_set(["agencies", 1, "code"], "kz-misd"),
     r"agencies\[1\] \(kz-misd\): field 'code' value 'kz-misd' is used twice"),
    (_set(["content", 0, "mood"], "angry"), r"content\[0\]: unknown field\(s\) mood"),
    (_set(["content", 1, "text"], None), r"content\[1\]: field 'text' is required"),
    (_set(["jurisdictions", 0, "provisions", 0, "in_force_until"], "2001-01-01"),
     r"provisions\[0\] \(KZ-CC-174\): field 'in_force_until' is before 'in_force_from'"),
]


@pytest.mark.parametrize("mutate, message", MALFORMED)
def test_a_malformed_file_names_the_file_entry_and_field_and_changes_nothing(tmp_path, mutate, message):
    load_scenario("kazakhstan-2021")
    before = (counts(), snapshot())
    path = _broken(tmp_path, mutate)

    with pytest.raises(ScenarioError, match=message) as error:
        load_scenario(str(path))

    assert str(error.value).startswith(str(path))
    assert (counts(), snapshot()) == before


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: [unclosed\n")

    with pytest.raises(ScenarioError, match=r"bad.yaml: not valid YAML"):
        load_scenario(str(path))
    assert counts() == {"Jurisdiction": 0, "LegalProvision": 0, "Agency": 0, "PlatformAccount": 0, "ContentItem": 0}


def test_a_valid_file_that_fails_late_leaves_nothing_behind(tmp_path):
    # The last content item is broken: nothing before it may be written either.
    data = yaml.safe_load((SCENARIOS / "kazakhstan-2021.yaml").read_text())
    data["content"][-1]["country"] = "ZZ"
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))

    with pytest.raises(ScenarioError, match="field 'country' value 'ZZ' is not a jurisdiction of this file"):
        load_scenario(str(path))
    assert counts()["Jurisdiction"] == 0
