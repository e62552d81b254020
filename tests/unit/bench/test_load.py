"""The load test reads wrk's summary line; the script it hands wrk is filled in completely."""

import pytest

from bench.load import WRK_SCRIPT, _result

WRK_OUTPUT = """Running 30s test @ http://127.0.0.1:40000
  2 threads and 16 connections
  4512 requests in 30.01s, 290.10MB read
Requests/sec:    150.35
RESULT requests=4512 seconds=30.010000 errors=0 p50_us=98000 p95_us=161500 p99_us=190250
"""


def test_the_summary_line_gives_requests_seconds_errors_and_percentiles():
    figures = _result(WRK_OUTPUT)
    assert figures == {
        "requests": 4512,
        "seconds": 30.01,
        "errors": 0,
        "p50_us": 98000,
        "p95_us": 161500,
        "p99_us": 190250,
    }


def test_output_without_the_summary_line_is_an_error_not_a_zero():
    with pytest.raises(RuntimeError, match="no result"):
        _result("unable to connect to 127.0.0.1:40000 Connection refused")


def test_the_script_rotates_every_session_and_asks_for_the_page():
    script = WRK_SCRIPT % ('"a", "b"', "/patients/7/")
    assert 'local cookies = {"a", "b"}' in script
    assert 'wrk.format("GET", "/patients/7/")' in script
    assert "(n % #cookies) + 1" in script
    assert "%%" not in script
