"""What a web worker does once the application is loaded, before its first request."""

import gc

from django.urls import get_resolver


def freeze_loaded_application() -> None:
    """Import the URL conf and every view, then freeze what is alive out of the collector's walks.

    Issue 18: a full collection walked every object alive since start-up (Django, the URL conf,
    the views, the catalogues: about 170,000) once in some twenty patient pages, about 75 ms of
    CPU each time, the page's p95. Those objects live as long as the worker; frozen, the
    collector walks the requests' own objects only (Python's gc.freeze, meant for this).
    """
    get_resolver().url_patterns  # noqa: B018 (imports the URL conf and through it every view)
    gc.freeze()
