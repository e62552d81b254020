"""The result every staging engine returns, and what identifies an engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload


class Lines(Sequence[str]):
    """Explanation lines rendered on first use, so staging a cohort never pays for the text."""

    __slots__ = ("_args", "_lines", "_render")

    def __init__(self, render: Callable[..., Iterable[str]], *args: object) -> None:
        self._render = render
        self._args = args
        self._lines: tuple[str, ...] | None = None

    def _text(self) -> tuple[str, ...]:
        if self._lines is None:
            self._lines = tuple(self._render(*self._args))
        return self._lines

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._text()[index]

    def __len__(self) -> int:
        return len(self._text())

    def __iter__(self) -> Iterator[str]:
        return iter(self._text())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._text() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._text())

    def __repr__(self) -> str:
        return repr(self._text())


class ModelResult(NamedTuple):
    """One model's staging of one history; result fields are None where the model has none.

    A NamedTuple rather than a frozen dataclass: as immutable and as typed, but three times
    faster to build, which matters at eleven results per history (bench.py).
    """

    model: str
    label: str
    version: str
    applicable: bool
    stage: str | int | None = None
    score: float | None = None
    band: str | None = None
    met: bool | None = None
    items: Mapping[str, int] | None = None
    provisional: bool | None = None
    chronic_resistant: bool | None = None
    prd: bool | None = None
    trd_minimal_improvement: bool | None = None
    chronic: bool | None = None
    counted_trials: tuple[str, ...] = ()
    explanation: Sequence[str] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    key: str
    label: str
    version: str
    # The result fields this model defines, in the order of history-format.md's output.
    fields: tuple[str, ...]


def not_applicable(
    info: ModelInfo, explanation: Sequence[str], warnings: tuple[str, ...] = ()
) -> ModelResult:
    """Return a result with every result field null, saying why (12.2)."""
    return ModelResult(
        info.key, info.label, info.version, False, explanation=explanation, warnings=warnings
    )
