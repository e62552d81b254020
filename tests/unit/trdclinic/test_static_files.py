"""The precompressed copies of the plotly bundle are exactly the bundle (static/vendor/plotly)."""

import gzip
from pathlib import Path

import brotli
import pytest

PLOTLY = Path(__file__).resolve().parents[3] / "static" / "vendor" / "plotly" / "plotly.min.js"


@pytest.mark.parametrize(
    ("suffix", "decompress"), [(".br", brotli.decompress), (".gz", gzip.decompress)]
)
def test_each_compressed_copy_of_the_plotly_bundle_is_the_bundle(suffix, decompress):
    compressed = PLOTLY.with_name(PLOTLY.name + suffix)
    assert decompress(compressed.read_bytes()) == PLOTLY.read_bytes(), (
        f"{compressed.name} is stale: run `make compress-static`"
    )


def test_the_bundle_is_plotlys_cartesian_one():
    assert PLOTLY.read_bytes()[:60].startswith(b"/**\n* plotly.js (cartesian - minified)")
