"""Requests as Lumen notices: one ``GovernmentRequest`` per request, in the shape Lumen's API takes.

The agency is the notice's sender, its state (the jurisdiction) the principal, the platform
the recipient and the court, when an order is cited, the issuing court. Each item is a work
with the URL reported; the cited provisions are the regulations; ``action_taken`` follows the
decisions. The mapping is documented in docs/exports.md.
"""

from __future__ import annotations

from reports.models import ContentItem
from transparency.dsa import PLATFORM_NAME

NOTICE_TYPE = "GovernmentRequest"
TOPIC = "Government Requests"
ACTION_TAKEN_OF_OUTCOME = {"full": "Yes", "partial": "Partial", "none": "No"}
ACTION_TAKEN_VALUES = ("Yes", "No", "Partial", "Unspecified")
REQUEST_TYPE = "Agency"  # every request comes from a government body through the same channel


def _entity(role: str, name: str, country_code: str | None) -> dict:
    entity = {"name": name, "kind": "organization"}
    if country_code:
        entity["country_code"] = country_code
    return {"name": role, "entity_attributes": entity}


def _work(item: dict) -> dict:
    url = item["url"] or (f"{ContentItem.URL_PREFIX}{item['content_id']}" if item["content_id"] else "")
    label = f"Post {item['content_id']}" if item["content_id"] else "Content at a URL"
    return {"description": f"{label} (item {item['position']} of the request)",
            "infringing_urls": [{"url": url}] if url else []}


def _day(text: str | None) -> str | None:
    return text[:10] if text else None


def request_notice(*, record: dict, citations: dict[str, str], jurisdiction_names: dict[str, str]) -> dict:
    """The request ``record`` as a Lumen notice (``{"notice": {...}}``)."""
    country = record["jurisdiction"]
    order = record["court_order"]
    roles = [
        _entity("sender", record["agency_name"], country),
        _entity("principal", jurisdiction_names.get(country, country), country),
        _entity("recipient", PLATFORM_NAME, None),
    ]
    if order:
        roles.append(_entity("issuing_court", order["court"], country))
    regulations = [citations.get(code, code).replace(",", " ") for code in record["provisions"]]
    notice = {
        "type": NOTICE_TYPE,
        "topic_list": TOPIC,
        "title": f"Government request {record['reference']} from {record['agency_name']} ({country})",
        "body": record["justification"],
        "date_sent": _day(record["submitted_at"]),
        "date_received": _day(record["submitted_at"]),
        "jurisdiction_list": country,
        "regulation_list": ", ".join(regulations),
        "action_taken": ACTION_TAKEN_OF_OUTCOME.get(record["outcome"] or "", "Unspecified"),
        "request_type": REQUEST_TYPE,
        "case_id_number": order["case_number"] if order else record["reference"],
        "works": [_work(item) for item in record["items"]],
        "entity_notice_roles_attributes": roles,
    }
    return {"notice": notice}
