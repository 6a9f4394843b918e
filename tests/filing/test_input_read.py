"""A well-formed body is read without DRF's fields, and to the same request DRF's serializer makes of it.

``request_input_read`` takes the bodies clients send as they are; every other body goes to
``RequestInputSerializer``. Generated bodies (each field given a value of its own type or of
another, blank, padded, too long, holding a NUL or a lone surrogate) must be either left to the
serializer or read exactly as the serializer reads them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from filing.inputs import RequestInput
from filing.serializers import (
    CONTENT_ID_MAX_CHARS,
    PROVISION_CODE_MAX_CHARS,
    RequestInputSerializer,
    bulk_input_checked,
    request_input_checked,
    request_input_from,
    request_input_read,
)
from reports import limits

WELL_FORMED = {
    "items": [{"content_id": "kz-0007"}, {"url": "https://platform.example/p/kz-0012"}],
    "category": "government_criticism",
    "legal_basis": ["KZ-CC-174", "kz-cc-274"],
    "requested_action": "restrict_in_jurisdiction",
    "justification": "The posts incite social discord.",
    "urgency": "imminent_harm",
    "confidentiality_requested": True,
    "external_id": "case-1",
}


def drf_read(body) -> RequestInput | None:
    serializer = RequestInputSerializer(data=body)
    return request_input_from(serializer.validated_data) if serializer.is_valid() else None


def texts(max_length: int):
    """Strings near a field's limits, and values of other types."""
    return st.one_of(
        st.sampled_from(["", "   ", "kz-0007", " kz-0007 ", "a\x00b", "\ud800", "\t x \n", "x" * max_length,
                         " " + "x" * max_length + " ", "x" * (max_length + 1)]),
        st.text(max_size=max_length + 2),
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.text(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=1),
    )


def choices(values: list[str]):
    return st.one_of(st.sampled_from([*values, "", " ", values[0].upper(), f" {values[0]}"]), texts(3))


ITEM = st.one_of(
    st.fixed_dictionaries({}, optional={"content_id": texts(CONTENT_ID_MAX_CHARS), "url": texts(limits.MAX_URL_CHARS),
                                        "other": st.integers()}),
    texts(3),
)
FIELDS = {
    "items": st.one_of(st.lists(ITEM, max_size=3), texts(3)),
    "category": choices(["government_criticism", "defamation", "hate_speech"]),
    "legal_basis": st.one_of(st.lists(texts(PROVISION_CODE_MAX_CHARS), max_size=3), texts(3)),
    "requested_action": choices(["restrict_in_jurisdiction", "remove_globally"]),
    "justification": texts(limits.MAX_JUSTIFICATION_CHARS),
    "urgency": choices(["standard", "imminent_harm"]),
    "court_order": st.one_of(st.none(), st.fixed_dictionaries({"court": texts(10)}), texts(3)),
    "confidentiality_requested": st.one_of(st.booleans(), st.sampled_from(["true", "1", 0, 1]), texts(3)),
    "external_id": texts(limits.MAX_EXTERNAL_ID_CHARS),
}
BODIES = st.one_of(
    st.fixed_dictionaries({}, optional=FIELDS),
    # Mostly well-formed: one field at a time takes any value.
    st.sampled_from(sorted(FIELDS)).flatmap(
        lambda name: FIELDS[name].map(lambda value: {**WELL_FORMED, name: value})),
    st.sampled_from(sorted(FIELDS)).map(lambda name: {k: v for k, v in WELL_FORMED.items() if k != name}),
    texts(3),
)


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_a_body_read_directly_is_read_as_drf_reads_it(body):
    read = request_input_read(body)
    if read is not None:
        assert read == drf_read(body)


@pytest.mark.parametrize("body", [
    WELL_FORMED,
    {"items": [{"content_id": "kz-0007"}], "category": "defamation"},
    {**WELL_FORMED, "justification": "  padded  ", "external_id": None, "court_order": None, "legal_basis": []},
    {**WELL_FORMED, "requested_action": "", "items": [{}]},
])
def test_the_bodies_clients_send_are_read_directly(body):
    read = request_input_read(body)

    assert read is not None
    assert read == drf_read(body)


@pytest.mark.parametrize("body", [
    {**WELL_FORMED, "confidentiality_requested": "true"},  # DRF's boolean takes it; only DRF converts it
    {**WELL_FORMED, "court_order": {"court": "Almaty", "date": "2021-10-30"}},
    {**WELL_FORMED, "items": [{"content_id": 7}]},
])
def test_a_body_drf_would_convert_is_left_to_drf(body):
    assert request_input_read(body) is None
    assert request_input_checked(body) == drf_read(body)


STRING_FIELDS = [  # (a body with the value at ``value``, the field's limit)
    (lambda value: {**WELL_FORMED, "items": [{"content_id": value}]}, CONTENT_ID_MAX_CHARS),
    (lambda value: {**WELL_FORMED, "items": [{"url": value}]}, limits.MAX_URL_CHARS),
    (lambda value: {**WELL_FORMED, "legal_basis": [value]}, PROVISION_CODE_MAX_CHARS),
    (lambda value: {**WELL_FORMED, "justification": value}, limits.MAX_JUSTIFICATION_CHARS),
    (lambda value: {**WELL_FORMED, "external_id": value}, limits.MAX_EXTERNAL_ID_CHARS),
]


@pytest.mark.parametrize(("body_with", "limit"), STRING_FIELDS)
@pytest.mark.parametrize("value_of", [
    lambda limit: "x" * limit, lambda limit: f"  {'x' * limit} ", lambda limit: "x" * (limit + 1),
    lambda limit: "a\x00b", lambda limit: "a\udc00b", lambda limit: " ", lambda limit: "",
])
def test_each_string_field_at_its_limits(body_with, limit, value_of):
    body = body_with(value_of(limit))
    read = request_input_read(body)
    if read is not None:
        assert read == drf_read(body)


def test_a_malformed_body_gets_drf_s_own_errors():
    body = {**WELL_FORMED, "category": "nonsense", "items": []}

    with pytest.raises(ValidationError) as raised:
        request_input_checked(body)

    serializer = RequestInputSerializer(data=body)
    assert not serializer.is_valid()
    assert raised.value.detail == serializer.errors


def test_a_bulk_body_is_read_entry_by_entry_or_checked_whole():
    good = {"requests": [WELL_FORMED, {"items": [{"url": "https://platform.example/p/kz-0001"}],
                                       "category": "defamation"}]}
    assert bulk_input_checked(good) == [drf_read(entry) for entry in good["requests"]]

    with pytest.raises(ValidationError) as raised:
        bulk_input_checked({"requests": [WELL_FORMED, {**WELL_FORMED, "urgency": "soon"}]})
    assert list(raised.value.detail["requests"][1]) == ["urgency"]
