"""Command line: stage the histories of a JSON file (history-format.md) with every model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from staging.jsonio import HistoryError, loads, results_to_json
from staging.registry import stage_all

USAGE = (
    "usage: stage FILE.json  (or - for standard input)\n"
    "Stage one history or an array of histories (history-format.md) with every model and print "
    "the results as JSON.\n"
)
EXIT_INVALID = 2
COMPACT = json.JSONEncoder(separators=(",", ":"))


class Reader(Protocol):
    def read(self) -> str: ...


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


def main(argv: Sequence[str], stdin: Reader, stdout: Writer, stderr: Writer) -> int:
    """Stage the file named in argv (or stdin for '-'); print results; return the exit status."""
    if len(argv) == 1 and argv[0] in ("-h", "--help"):
        stdout.write(USAGE)
        return 0
    if len(argv) != 1:
        stderr.write(USAGE)
        return EXIT_INVALID
    path = argv[0]
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        histories, is_array = loads(text)
    except OSError as error:
        stderr.write(f"cannot read {path}: {error.strerror}\n")
        return EXIT_INVALID
    except UnicodeDecodeError:
        stderr.write(f"cannot read {path}: not UTF-8 text\n")
        return EXIT_INVALID
    except HistoryError as error:
        stderr.write(f"{error}\n")
        return EXIT_INVALID
    if not is_array:
        history, params = histories[0]
        stdout.write(json.dumps(results_to_json(stage_all(history, params)), indent=2) + "\n")
        return 0
    # Each result is written as soon as it is staged, one per line, by the compact C encoder:
    # the input was validated whole above, so nothing is written for invalid input.
    stdout.write("[\n")
    last = len(histories) - 1
    for position, (history, params) in enumerate(histories):
        separator = ",\n" if position < last else "\n"
        stdout.write(COMPACT.encode(results_to_json(stage_all(history, params))) + separator)
    stdout.write("]\n")
    return 0
