"""``pressctl site serve``: the site folder over HTTP on 127.0.0.1 only, for a look before deploying.

Python's ``http.server`` with one thread per request. Hidden files (a ``.git`` folder, editors' temporary
files) are not served. Not a production web server: deploy the folder to one.
"""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from pressctl.errors import InputError

__all__ = ["HOST", "SiteServer", "make_server", "serving"]

HOST = "127.0.0.1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; no hidden files; quiet unless told (the CLI prints its own line per request)."""

    log_requests: ClassVar[bool] = False

    def guess_type(self, path: Any) -> str:
        name = str(path).rsplit("/", 1)[-1]
        if name.endswith(".xml"):
            return "application/atom+xml" if name.startswith("feed") else "application/xml"
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind in ("text/html", "text/css", "text/plain") else kind

    def send_head(self) -> Any:
        path = urllib.parse.unquote(self.path.split("?", 1)[0].split("#", 1)[0])
        if any(part.startswith(".") for part in path.split("/") if part):
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:
        if self.log_requests:
            super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


def make_server(site_dir: Path, *, port: int = 8000, log_requests: bool = False) -> SiteServer:
    """A server for ``site_dir`` bound to 127.0.0.1:``port`` (0: any free port). Call ``serve_forever()``."""
    if not site_dir.is_dir():
        raise InputError(
            "the site folder does not exist", where=str(site_dir), hint="publish a release first"
        )
    handler_class = type("_SiteHandler", (_Handler,), {"log_requests": log_requests})
    handler = functools.partial(handler_class, directory=str(site_dir))
    try:
        return SiteServer((HOST, port), handler)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {HOST}:{port} ({exc.strerror or exc})",
            hint="choose another port with --port, e.g. --port 8080",
        ) from None


@contextmanager
def serving(site_dir: Path, *, port: int = 0) -> Iterator[SiteServer]:
    """The server running in a background thread for the duration of a ``with`` block (tests, previews)."""
    server = make_server(site_dir, port=port)
    thread = threading.Thread(target=server.serve_forever, name="pressctl-site-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
