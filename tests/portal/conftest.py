"""Portal fixtures: the people of the reporters' journeys."""

from __future__ import annotations

import pytest


@pytest.fixture
def kz_colleague(kz_reporter):
    """A second verified reporter of kz_reporter's own agency."""
    from reports.models import Agency
    from tests.factories import ReporterFactory, UserFactory

    return ReporterFactory(user=UserFactory(username="kz_colleague"), agency=Agency.objects.get(code="kz-misd"))
