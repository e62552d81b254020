"""The COPY loader's text format and its stream to the server (bench/copyload.py, no database)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from bench.copyload import NULL, LoadReport, Step, _Stream, _text


def test_values_are_written_in_copy_text_format() -> None:
    text = models.TextField()
    assert _text(text, None) == NULL
    assert _text(models.BooleanField(), True) == "t"
    assert _text(models.BooleanField(), False) == "f"
    assert _text(ArrayField(models.IntegerField()), [3, 4]) == "{3,4}"
    assert _text(models.JSONField(), {"a": 1}) == '{"a": 1}'
    assert _text(text, "") == ""


def test_tabs_newlines_and_backslashes_are_escaped() -> None:
    assert _text(models.TextField(), "a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"


def test_the_stream_hands_over_every_line_once_in_chunks_of_about_the_size_asked() -> None:
    lines = [f"{n}\tx\n" for n in range(1000)]
    stream = _Stream(lines)
    chunks = []
    while chunk := stream.read(100):
        assert len(chunk) < 100 + 10
        chunks.append(chunk)
    assert "".join(chunks) == "".join(lines)
    assert stream.count == 1000
    assert stream.read(100) == ""


def test_the_summary_adds_up_the_index_builds() -> None:
    report = LoadReport(
        [
            Step("COPY trials", 40, 2.0, 1.0, 1.5),
            Step("indexes built: a", 0, 0.25, 0.0, 0.2),
            Step("indexes built: b", 0, 0.5, 0.0, None),
        ]
    )
    assert report.summary() == (
        "COPY trials 2.0 s (40 rows) [CPU 1.0 s here, 1.5 s server]; "
        "indexes built 0.8 s [CPU 0.0 s here, 0.2 s server]"
    )
