"""Static SVG export of plotly figures through kaleido, with one warm browser per process.

Kaleido drives Chromium; starting it costs seconds, so the exporter keeps one Kaleido open on
its own event-loop thread and reuses it for every report. Kaleido's own `start_sync_server`
is not used: when the browser cannot start, its worker thread dies and every later call waits
forever, whereas here each call has a timeout and a failure returns None (the report then
shows a note where the chart would be).

A start can hang: kaleido 1.5 asks for the page's events only after navigating its tabs to the
plotly page, so on a loaded machine the page's load event can pass before it listens and the
start waits for it forever (seen once in ten test runs; delaying that request by 3 s makes every
start hang). A start not finished within START_TIMEOUT is abandoned, its browser killed, and
tried once more.
"""

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import signal
import threading
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kaleido
from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_BROWSER = "/usr/bin/chromium"
# Seconds: a browser start (≈ 2.5 s on an idle machine), then one figure (≈ 0.25 s warm).
START_TIMEOUT = 30.0
EXPORT_TIMEOUT = 30.0
START_ATTEMPTS = 2
# Seconds to clean up after a browser that did not start.
CLOSE_TIMEOUT = 5.0
# A report's charts are drawn in parallel tabs of the one browser (two cores here).
TABS = 2
PLOTLY_JS = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly" / "plotly.min.js"


def default_browser_path() -> str | None:
    """Return the Chromium to drive: BROWSER_PATH, else Debian's, else one on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    if Path(DEFAULT_BROWSER).exists():
        return DEFAULT_BROWSER
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class ChartSize:
    """A plotly figure and the size to draw it at, in CSS pixels."""

    figure: Mapping[str, Any]
    width: int
    height: int
    # "svg", or "png" for a figure with hundreds of text cells (cheaper for weasyprint to place).
    image_format: str = "svg"
    scale: float = 1.0


async def _together(calls: Sequence[Coroutine[Any, Any, bytes]]) -> list[bytes]:
    return list(await asyncio.gather(*calls))


class ChartExporter:
    """Turn plotly figures into SVG with one Kaleido kept open between calls."""

    def __init__(
        self, browser_path: str | None = None, start_timeout: float = START_TIMEOUT
    ) -> None:
        self._browser_path = browser_path
        self._start_timeout = start_timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: kaleido.Kaleido | None = None

    @property
    def browser_path(self) -> str | None:
        """Return the browser this exporter drives (the default one unless given)."""
        return self._browser_path or default_browser_path()

    def _run(self, coroutine: Any, timeout: float) -> Any:
        assert self._loop is not None
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise

    def _start(self) -> bool:
        """Open the browser unless it is open; return whether it is."""
        if self._kaleido is not None:
            return True
        path = self.browser_path
        if not path or not Path(path).exists():
            logger.warning("chart export: no Chromium at %s", path)
            return False
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(
                target=self._loop.run_forever, name="chart-export", daemon=True
            ).start()
        for _attempt in range(START_ATTEMPTS):
            candidate = kaleido.Kaleido(
                n=TABS,
                path=path,
                plotlyjs=str(PLOTLY_JS),
                mathjax=False,
                timeout=EXPORT_TIMEOUT,
            )
            try:
                self._run(candidate.open(), self._start_timeout)
            except Exception:
                logger.exception("chart export: Chromium did not start")
                self._abandon(candidate)
                continue
            self._kaleido = candidate
            return True
        return False

    def _abandon(self, candidate: kaleido.Kaleido) -> None:
        """Kill a browser that failed to start (it may not answer a request to close)."""
        process = getattr(candidate, "subprocess", None)
        if process is not None and process.poll() is None:
            # choreographer starts the browser under a wrapper, in a session of its own.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(CLOSE_TIMEOUT)
        try:
            self._run(candidate.close(), CLOSE_TIMEOUT)
        except Exception:
            logger.exception("chart export: cleaning up after a failed start failed")

    def svg(self, figure: Mapping[str, Any], *, width: int, height: int) -> str | None:
        """Return the figure as SVG text, or None when no browser can draw it."""
        return self.svgs([ChartSize(figure, width, height)])[0]

    def svgs(self, charts: Sequence[ChartSize]) -> list[str | None]:
        """Return each chart as SVG text, drawn side by side in the browser's tabs.

        Every entry is None when no browser can draw them.
        """
        return [None if data is None else data.decode("utf-8") for data in self.images(charts)]

    def images(self, charts: Sequence[ChartSize]) -> list[bytes | None]:
        """Return each chart drawn in its format (None for each when no browser can draw)."""
        with self._lock:
            if not charts or not self._start():
                return [None] * len(charts)
            assert self._kaleido is not None
            calls = [
                self._kaleido.calc_fig(
                    dict(chart.figure),
                    opts={
                        "format": chart.image_format,
                        "width": chart.width,
                        "height": chart.height,
                        "scale": chart.scale,
                    },
                )
                for chart in charts
            ]
            try:
                drawn = self._run(_together(calls), EXPORT_TIMEOUT)
            except Exception:
                logger.exception("chart export failed; restarting the browser next time")
                self._close()
                return [None] * len(charts)
        return [bytes(data) for data in drawn]

    def _close(self) -> None:
        if self._kaleido is None:
            return
        try:
            self._run(self._kaleido.close(), self._start_timeout)
        except Exception:
            logger.exception("chart export: closing Chromium failed")
        self._kaleido = None

    def close(self) -> None:
        """Close the browser (at exit, or in tests)."""
        with self._lock:
            self._close()


_default: ChartExporter | None = None
_default_lock = threading.Lock()


def default_exporter() -> ChartExporter:
    """Return the process's exporter, created on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ChartExporter()
            atexit.register(_default.close)
        return _default


def default_exporter_close() -> None:
    """Close the process's exporter if one was started (the test session's end does this)."""
    with _default_lock:
        if _default is not None:
            _default.close()
