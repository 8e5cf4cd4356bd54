"""The enricher's settings refuse an unknown calendar region at start-up, not on the first batch."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from liftos_enricher.settings import EnricherSettings


def test_a_known_country_and_subdivision_are_accepted() -> None:
    settings = EnricherSettings(country="DE", subdivision="BY")
    assert (settings.country, settings.subdivision) == ("DE", "BY")


@pytest.mark.parametrize(
    ("country", "subdivision", "says"),
    [("XX", None, "unknown country 'XX'"), ("DE", "ZZ", "unknown subdivision 'ZZ' of country 'DE'")],
)
def test_an_unknown_region_fails_fast(country: str, subdivision: str | None, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        EnricherSettings(country=country, subdivision=subdivision)
