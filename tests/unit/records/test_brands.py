"""Brand names map to a generic the catalogue holds."""

import pytest

from records.brands import BRANDS, generic_for_brand
from staging.catalogue import lookup_agent


@pytest.mark.parametrize(("brand", "generic"), sorted(BRANDS.items()))
def test_every_brand_names_a_catalogued_generic(brand, generic):
    assert lookup_agent(generic) is not None, brand


def test_a_brand_with_a_release_suffix_keeps_the_suffix_for_the_catalogue():
    assert generic_for_brand("Seroquel  XL") == "quetiapine xl"
    assert lookup_agent("quetiapine xl").name == "quetiapine"
    assert generic_for_brand("sertraline") is None
