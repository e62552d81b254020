from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base

from .server import ensure_server


class DatabaseWrapper(base.DatabaseWrapper):
    """The stock PostgreSQL backend, pointed at the embedded server's socket."""

    def get_connection_params(self) -> dict[str, Any]:
        server = ensure_server(Path(settings.EMBEDDED_POSTGRES_DIR), settings.EMBEDDED_POSTGRES_DB)
        self.settings_dict["HOST"] = server.socket_dir
        self.settings_dict["PORT"] = str(server.port)
        self.settings_dict["USER"] = server.user
        return super().get_connection_params()
