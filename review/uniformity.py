"""Evidence that the process is the same for every government.

``workflow_uniformity`` reports, per jurisdiction, which workflow versions, rule
versions and check sequences its requests went through. An auditor reads
"identical": true, or the exact differences.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from review.models import CheckResult, ScreeningRun


def workflow_uniformity(*, exercise=None) -> dict:
    runs = ScreeningRun.objects.all()
    checks = CheckResult.objects.all()
    if exercise is not None:
        runs = runs.filter(request__exercise=exercise)
        checks = checks.filter(request__exercise=exercise)

    per_jurisdiction: dict[str, dict] = defaultdict(lambda: {"screenings": 0, "workflow_versions": {},
                                                             "rules_versions": {}, "check_sequences": {}})
    for row in (runs.values("request__agency__jurisdiction_id", "workflow_version", "rules_version")
                .annotate(n=Count("id"))):
        entry = per_jurisdiction[row["request__agency__jurisdiction_id"]]
        entry["screenings"] += row["n"]
        entry["workflow_versions"][row["workflow_version"]] = (
            entry["workflow_versions"].get(row["workflow_version"], 0) + row["n"])
        entry["rules_versions"][row["rules_version"]] = entry["rules_versions"].get(row["rules_version"], 0) + row["n"]

    # The ordered check names of each screening, joined: "completeness>platform_policy>...".
    sequences: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for screening_id, jurisdiction, position, name in (checks.values_list(
            "screening_id", "request__agency__jurisdiction_id", "position", "name").order_by("screening_id")):
        sequences[screening_id].append((position, name, jurisdiction))
    for steps in sequences.values():
        sequence = ">".join(name for _, name, _ in sorted(steps))
        entry = per_jurisdiction[steps[0][2]]
        entry["check_sequences"][sequence] = entry["check_sequences"].get(sequence, 0) + 1

    signatures = {code: (set(entry["workflow_versions"]), set(entry["check_sequences"]))
                  for code, entry in per_jurisdiction.items()}
    differences = []
    if signatures:
        shared_versions = set.intersection(*(versions for versions, _ in signatures.values()))
        shared_sequences = set.intersection(*(sequences for _, sequences in signatures.values()))
        for code, (versions, sequences) in sorted(signatures.items()):
            if versions - shared_versions or sequences - shared_sequences:
                differences.append({"jurisdiction": code,
                                    "workflow_versions_not_shared": sorted(versions - shared_versions),
                                    "check_sequences_not_shared": sorted(sequences - shared_sequences)})
    return {"identical": not differences, "jurisdictions": dict(sorted(per_jurisdiction.items())),
            "differences": differences}
