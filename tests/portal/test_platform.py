"""The simulated platform's feed: filters, and how removed and restricted posts show to each viewer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import ContentItem, ContentRestriction
from tests.builders import filed

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return re.findall(r'<article class="post" id="post-([a-z]{2}-[0-9]+)"', response.content.decode())


def test_the_feed_filters_by_country_language_persona_and_date(client, kz_scenario, comparative_scenario):
    feed = reverse("portal:platform")

    by_country = codes(client.get(feed, {"country": "DE"}))
    by_language = codes(client.get(feed, {"language": "ru", "country": "KZ"}))
    by_persona = codes(client.get(feed, {"persona": "journalist", "country": "KZ"}))
    by_date = codes(client.get(feed, {"posted_from": "2021-10-01", "posted_to": "2021-10-31", "country": "KZ"}))

    def expected(**filters):
        return set(ContentItem.objects.filter(**filters).values_list("code", flat=True))

    assert set(by_country) == expected(country="DE")
    assert set(by_language) == expected(country="KZ", language="ru")
    assert set(by_persona) == expected(country="KZ", author__persona="journalist")
    assert set(by_date) == expected(country="KZ", posted_at__date__gte=date(2021, 10, 1),
                                    posted_at__date__lte=date(2021, 10, 31))
    assert by_country and by_language and by_persona and by_date


def test_a_reversed_date_range_is_refused_next_to_the_field(client, kz_scenario):
    response = client.get(reverse("portal:platform"), {"posted_from": "2021-11-01", "posted_to": "2021-10-01"})

    assert ('<ul class="errors" id="id_posted_to_error"><li>The end date is before the start date.</li></ul>'
            in response.content.decode())


def test_removed_and_restricted_posts_show_as_such_to_a_reporter_of_that_country(
        client, kz_reporter, de_reporter, harmless_content_code):
    request = filed(kz_reporter, harmless_content_code, "kz-0001")
    removed = ContentItem.objects.get(code="kz-0001")
    removed.removed_globally_at = timezone.now()
    removed.save()
    ContentRestriction.objects.create(content=ContentItem.objects.get(code=harmless_content_code), country="KZ",
                                      request=request)
    feed = reverse("portal:platform")

    def seen_by(reporter) -> str:
        client.force_login(reporter.user)
        # Two pages of the feed: ordinary users' posts (the restricted one) and journalists' (the removed one).
        return "".join(client.get(feed, {"country": "KZ", "persona": persona}).content.decode()
                       for persona in ("ordinary_user", "journalist"))

    in_kazakhstan, in_germany = seen_by(kz_reporter), seen_by(de_reporter)

    restricted_text = ContentItem.objects.get(code=harmless_content_code).text.split("\n")[0][:40]
    assert "This post is withheld in Kazakhstan in response to a legal request." in in_kazakhstan
    assert restricted_text not in in_kazakhstan
    assert "withheld in" not in in_germany and restricted_text in in_germany
    for html in (in_kazakhstan, in_germany):
        assert "This post was removed by the platform on" in html
        assert removed.text[:40] not in html


def test_visitors_without_a_reporter_account_see_the_feed_without_report_buttons(client, kz_scenario):
    response = client.get(reverse("portal:platform"))

    assert response.status_code == 200
    assert codes(response)
    assert b'action="/platform/report/"' not in response.content


def test_each_post_is_marked_with_its_language(client, kz_scenario):
    html = client.get(reverse("portal:platform"), {"language": "ru", "country": "KZ"}).content.decode()

    assert '<div class="post-text" lang="ru">' in html
