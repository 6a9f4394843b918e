"""What a requester states (the standard intake form for state actors), and the check that it can be stored.

``validate_input`` refuses only malformed input, naming each field. Whether a filed request is
*complete* enough for review is the completeness rule's question (reports/completeness.py), so
that an incomplete request is answered with its missing parts rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from reports import statements
from reports.completeness import missing_to_file
from reports.errors import InvalidInput
from reports.limits import (
    MAX_CASE_NUMBER_CHARS,
    MAX_COURT_CHARS,
    MAX_EXTERNAL_ID_CHARS,
    MAX_ITEMS_PER_REQUEST,
    MAX_JUSTIFICATION_CHARS,
    MAX_PROVISIONS_PER_REQUEST,
    MAX_URL_CHARS,
)
from reports.models import (
    Category,
    CitedProvision,
    ContentItem,
    LegalProvision,
    PlatformAccount,
    RequestedAction,
    RequestItem,
    TakedownRequest,
    Urgency,
)

URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass
class ItemInput:
    content_id: str = ""
    url: str = ""


@dataclass
class CourtOrderInput:
    court: str = ""
    case_number: str = ""
    date: date | None = None


@dataclass
class RequestInput:
    """What a requester states: the standard intake form (which rule or law, why, the evidence)."""

    items: list[ItemInput] = field(default_factory=list)
    category: str = ""
    legal_basis: list[str] = field(default_factory=list)
    requested_action: str = ""
    justification: str = ""
    urgency: str = Urgency.STANDARD
    court_order: CourtOrderInput | None = None
    confidentiality_requested: bool = False
    external_id: str | None = None


@dataclass
class Resolved:
    contents: list[ContentItem | None]
    urls: list[str]
    provisions: list[LegalProvision]


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(self.fields)


def _content_code_from_url(url: str) -> str | None:
    if url.lower().startswith(ContentItem.URL_PREFIX):
        return url[len(ContentItem.URL_PREFIX):].strip("/").split("?")[0].lower() or None
    return None


def _content_code(item: ItemInput) -> str | None:
    content_id, url = (item.content_id or "").strip(), (item.url or "").strip()
    return content_id.lower() if content_id else _content_code_from_url(url) if url else None


def _provision_codes(data: RequestInput) -> list[str]:
    return [code.strip().upper() for code in data.legal_basis if code and code.strip()]


@dataclass
class Catalog:
    """The content and provisions a batch names, read with two queries for the whole batch."""

    contents: dict[str, ContentItem]
    provisions: dict[str, LegalProvision]

    @classmethod
    def stored(cls, items: Sequence[RequestItem], citations: Sequence[CitedProvision], *, exercise) -> Catalog:
        """The catalog of a stored request, from its items (with posts and authors) and citations: no query.

        What they name exists (the rows refer to it); a post of another exercise is left out, as
        ``load`` leaves it out. A URL that named no post when it was stored still names none.
        """
        return cls(contents={item.content.code: item.content for item in items
                             if item.content is not None and item.content.exercise_id == exercise.pk},
                   provisions={citation.provision.code: citation.provision for citation in citations})

    @classmethod
    def load(cls, batch: Sequence[RequestInput], *, exercise) -> Catalog:
        codes = {code for data in batch for code in map(_content_code, data.items) if code}
        basis = {code for data in batch for code in _provision_codes(data)}
        if connection.vendor == "postgresql":
            contents, provisions = _catalog_read(exercise.pk, sorted(codes), sorted(basis))
        else:
            contents = list(ContentItem.objects.filter(exercise=exercise, code__in=codes).select_related("author")
                            if codes else [])
            provisions = list(LegalProvision.objects.filter(code__in=basis)) if basis else []
        return cls(contents={c.code: c for c in contents}, provisions={p.code: p for p in provisions})


def _catalog_read(exercise_id: int, codes: list[str], basis: list[str]) -> tuple[list, list]:
    """``Catalog.load``'s two reads on PostgreSQL, as statements written once (reports/statements.py)."""
    contents_sql, provisions_sql = _catalog_statements()
    contents, provisions = [], []
    with statements.server_bound_cursor() as cursor:
        if codes:
            cursor.execute(contents_sql, [exercise_id, codes])
            for row in cursor.fetchall():
                content, author = statements.instances(row, (ContentItem, PlatformAccount))
                statements.related_set(content, "author", author)
                contents.append(content)
        if basis:
            cursor.execute(provisions_sql, [basis])
            provisions = [statements.instances(row, (LegalProvision,))[0] for row in cursor.fetchall()]
    return contents, provisions


@lru_cache(maxsize=1)
def _catalog_statements() -> tuple[str, str]:
    table, column = statements.table, statements.column
    contents = (f"SELECT {statements.columns(ContentItem, 'c')}, {statements.columns(PlatformAccount, 'a')} "  # noqa: S608
                f"FROM {table(ContentItem)} c JOIN {table(PlatformAccount)} a "
                f"ON a.{column(PlatformAccount, 'pk')} = c.{column(ContentItem, 'author')} "
                f"WHERE c.{column(ContentItem, 'exercise')} = %s AND c.{column(ContentItem, 'code')} = ANY(%s)")
    provisions = (f"SELECT {statements.columns(LegalProvision, 'p')} FROM {table(LegalProvision)} p "  # noqa: S608
                  f"WHERE p.{column(LegalProvision, 'code')} = ANY(%s)")
    return contents, provisions


def validate_input(data: RequestInput, *, exercise, draft: bool = False, catalog: Catalog | None = None) -> Resolved:
    """Check that the input can be stored; return the content and provisions it names.

    Only malformed input is refused here. Whether the request is *complete* (a legal
    basis, a justification, a scope) is for the completeness check to say, so that an
    incomplete request is answered with the exact missing parts rather than lost.
    """
    errors = _Errors()
    # A NUL character cannot be stored (PostgreSQL refuses it) and has no place in a request.
    texts = {"justification": data.justification, "external_id": data.external_id, "category": data.category,
             "requested_action": data.requested_action, "urgency": data.urgency,
             **{f"legal_basis.{n}": code for n, code in enumerate(data.legal_basis)},
             **{f"items.{n}": f"{i.content_id}{i.url}" for n, i in enumerate(data.items)}}
    if data.court_order is not None:
        texts.update({"court_order.court": data.court_order.court,
                      "court_order.case_number": data.court_order.case_number})
    for path, value in texts.items():
        if value and "\x00" in value:
            errors.add(path, "Remove the NUL character (\\x00) from this field.")
    errors.raise_if_any()

    to_file = {} if draft else missing_to_file(item_count=len(data.items), category=data.category)
    if "items" in to_file:
        errors.add("items", to_file["items"])
    if len(data.items) > MAX_ITEMS_PER_REQUEST:
        errors.add("items", f"At most {MAX_ITEMS_PER_REQUEST} items per request; split larger requests.")
    codes: list[str | None] = []
    urls: list[str] = []
    for index, item in enumerate(data.items):
        content_id, url = (item.content_id or "").strip(), (item.url or "").strip()
        if bool(content_id) == bool(url):
            errors.add(f"items.{index}", "Give either content_id or url, not both and not neither.")
            codes.append(None)
            urls.append("")
            continue
        if url:
            if len(url) > MAX_URL_CHARS or not URL_PATTERN.match(url):
                errors.add(f"items.{index}.url", f"Enter a full http(s) URL of at most {MAX_URL_CHARS} characters.")
            codes.append(_content_code_from_url(url))
        else:
            codes.append(content_id.lower())
        urls.append(url)

    if catalog is None:
        catalog = Catalog.load([data], exercise=exercise)
    found = catalog.contents
    contents: list[ContentItem | None] = []
    seen: dict[str, int] = {}
    for index, (item, code) in enumerate(zip(data.items, codes, strict=True)):
        content = found.get(code) if code else None
        if (item.content_id or "").strip() and content is None and f"items.{index}" not in errors.fields:
            errors.add(f"items.{index}.content_id", f"No content with id {item.content_id.strip()!r} on the platform.")
        if content is not None:
            if content.code in seen:
                errors.add(f"items.{index}",
                           f"Duplicate of item {seen[content.code]}: {content.code} is already listed.")
            seen.setdefault(content.code, index)
        contents.append(content)

    if data.category and data.category not in Category.values:
        errors.add("category", f"Unknown category {data.category!r}; use one of the documented codes.")
    elif "category" in to_file:
        errors.add("category", to_file["category"])

    basis = _provision_codes(data)
    if len(basis) > MAX_PROVISIONS_PER_REQUEST:
        errors.add("legal_basis", f"Cite at most {MAX_PROVISIONS_PER_REQUEST} provisions.")
    if len(set(basis)) != len(basis):
        errors.add("legal_basis", "A provision is cited twice.")
    provisions = catalog.provisions
    for index, code in enumerate(basis):
        if code not in provisions:
            errors.add(f"legal_basis.{index}",
                       f"Unknown provision {code!r}; see /api/v1/jurisdictions/<code>/provisions/.")

    if data.requested_action and data.requested_action not in RequestedAction.values:
        errors.add("requested_action", "Use remove_globally or restrict_in_jurisdiction.")
    if data.urgency not in Urgency.values:
        errors.add("urgency", "Use standard or imminent_harm.")
    if len(data.justification or "") > MAX_JUSTIFICATION_CHARS:
        errors.add("justification", f"At most {MAX_JUSTIFICATION_CHARS} characters.")
    if data.external_id is not None and not (0 < len(data.external_id) <= MAX_EXTERNAL_ID_CHARS):
        errors.add("external_id", f"An external id has 1 to {MAX_EXTERNAL_ID_CHARS} characters.")

    order = data.court_order
    if order is not None and (order.court or order.case_number or order.date):
        if not order.court.strip():
            errors.add("court_order.court", "Name the court that issued the order.")
        if not order.case_number.strip():
            errors.add("court_order.case_number", "Give the case number.")
        if len(order.court) > MAX_COURT_CHARS or len(order.case_number) > MAX_CASE_NUMBER_CHARS:
            errors.add("court_order", f"Court at most {MAX_COURT_CHARS} and case number at most "
                                      f"{MAX_CASE_NUMBER_CHARS} characters.")
        if order.date and order.date > timezone.now().date():
            errors.add("court_order.date", "The order's date cannot be in the future.")

    errors.raise_if_any()
    return Resolved(contents=contents, urls=urls, provisions=[provisions[code] for code in basis])


def request_as_input(request: TakedownRequest, *, items: Sequence[RequestItem] | None = None,
                     citations: Sequence[CitedProvision] | None = None) -> RequestInput:
    """What a stored request states, as input: for re-validation on submit, the edit form and answers.

    ``items`` (with their posts) and ``citations`` (with their provisions) may be given when the
    caller has read them already.
    """
    if items is None and citations is None and connection.vendor == "postgresql":
        # Every edit of a draft asks: the posts' ids and the provisions' codes in one statement written once.
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_stated_statement(), [request.pk, request.pk])
            rows = cursor.fetchall()
        stated = [ItemInput(content_id=code or "", url="" if code else url) for kind, code, url, _ in rows if kind == 0]
        basis = [code for kind, code, _url, _position in rows if kind == 1]
    else:
        items = request.items.select_related("content") if items is None else items
        citations = request.citations.select_related("provision") if citations is None else citations
        stated = [ItemInput(content_id=item.content.code if item.content else "", url="" if item.content else item.url)
                  for item in items]
        basis = [c.provision.code for c in citations]
    return RequestInput(
        items=stated,
        category=request.category,
        legal_basis=basis,
        requested_action=request.requested_action,
        justification=request.justification,
        urgency=request.urgency,
        court_order=CourtOrderInput(request.court_name, request.court_case_number, request.court_order_date),
        confidentiality_requested=request.confidentiality_requested,
    )


@lru_cache(maxsize=1)
def _stated_statement() -> str:
    """A request's posts (content id or URL) and cited provisions, each in its order, as ``request_as_input`` reads."""
    table, column = statements.table, statements.column
    return (f"SELECT 0, c.{column(ContentItem, 'code')}, i.{column(RequestItem, 'url')}, "  # noqa: S608
            f"i.{column(RequestItem, 'position')} AS position FROM {table(RequestItem)} i "
            f"LEFT JOIN {table(ContentItem)} c ON c.{column(ContentItem, 'pk')} = i.{column(RequestItem, 'content')} "
            f"WHERE i.{column(RequestItem, 'request')} = %s "
            f"UNION ALL SELECT 1, p.{column(LegalProvision, 'code')}, '', "
            f"x.{column(CitedProvision, 'position')} FROM {table(CitedProvision)} x "
            f"JOIN {table(LegalProvision)} p "
            f"ON p.{column(LegalProvision, 'pk')} = x.{column(CitedProvision, 'provision')} "
            f"WHERE x.{column(CitedProvision, 'request')} = %s ORDER BY 1, 4")
