"""The split-view page: a forged history computed from the exercise's own log, beside the true one."""

from __future__ import annotations

import re

import pytest

from audit import log, merkle
from audit.models import Checkpoint, Cosignature, LogEntry
from tests.exercises import enrol, new_exercise, student_files
from tests.reading import codes_in, visible_text

pytestmark = pytest.mark.django_db


def code_of(html: str, element_id: str) -> str:
    return re.search(rf'<code id="{element_id}">([0-9a-f]+)</code>', html).group(1)


def filed_in_class(instructor):
    exercise = new_exercise(instructor, "Seminar 4")
    kz = enrol(exercise, instructor, "aliya", "reporter", agency="kz-misd")
    posts = list(exercise.content_items.order_by("code").values_list("code", flat=True)[:2])
    first = student_files(kz, [posts[0]], category="government_criticism")
    student_files(kz, [posts[1]])
    return exercise, first


def test_the_instructor_sees_the_true_record_and_a_forged_one_that_omits_a_request(client_for, instructor):
    exercise, first = filed_in_class(instructor)
    checkpoint = log.log_seal()
    Cosignature.objects.create(checkpoint=checkpoint, witness="witness.ngo.example", key_id=b"\0" * 4,
                               cosigned_at=1, signature=b"\0" * 64)

    response = client_for(instructor).get(f"/exercises/{exercise.slug}/split-view/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<strong id="real-size">{checkpoint.tree_size}</strong>' in html
    assert code_of(html, "real-root") == bytes(checkpoint.root_hash).hex()
    assert "We recomputed this fingerprint just now from the stored entries, and it matches the signed one." in html
    # the forged record is computed, not invented: the true leaves minus the first filing of the exercise
    omitted = LogEntry.objects.get(event__request=first, event__event_type="request_submitted")
    leaves = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    size = checkpoint.tree_size - 1
    forged = leaves[:omitted.index] + leaves[omitted.index + 1:]
    assert code_of(html, "true-root") == merkle.root_from_perfect(
        [h for *_, h in log._extend([], 0, leaves[:size])]).hex()
    assert code_of(html, "forged-root") == merkle.root_from_perfect([h for *_, h in log._extend([], 0, forged)]).hex()
    assert code_of(html, "forged-root") != code_of(html, "true-root")
    assert f"never filed request {first.reference}" in html
    text = visible_text(html)
    assert "Why witnesses rule it out" in text and "A witness that already signed the true record refuses" in text
    assert "Anyone holding the true record can prove the lie" in text
    assert codes_in(text) == set()


def test_the_page_names_the_witnesses_that_signed_and_the_quorum(client_for, instructor, settings):
    settings.CRS_LOG_WITNESSES = [{"name": "witness.ngo.example", "vkey": "x", "url": "http://127.0.0.1:9"},
                                  {"name": "witness.university.example", "vkey": "y", "url": "http://127.0.0.1:9"}]
    settings.CRS_LOG_WITNESS_QUORUM = 2
    exercise, _ = filed_in_class(instructor)
    checkpoint = log.log_seal()
    Cosignature.objects.create(checkpoint=checkpoint, witness="witness.ngo.example", key_id=b"\0" * 4,
                               cosigned_at=1, signature=b"\0" * 64)

    html = client_for(instructor).get(f"/exercises/{exercise.slug}/split-view/").content.decode()

    assert "On this platform, 2 witnesses receive every new record; 2 signatures are required before receipts cite " \
           "a record. The true record above was signed by witness.ngo.example." in visible_text(html)


def test_before_anything_is_sealed_the_page_says_so_and_outsiders_cannot_see_it(client_for, instructor):
    exercise, _ = filed_in_class(instructor)
    assert not Checkpoint.objects.exists()

    html = client_for(instructor).get(f"/exercises/{exercise.slug}/split-view/").content.decode()

    assert 'id="split-view-pending"' in html
    assert client_for(enrol(new_exercise(instructor, "Other"), instructor, "zed", "reporter", agency="kz-misd")) \
        .get(f"/exercises/{exercise.slug}/split-view/").status_code == 404
