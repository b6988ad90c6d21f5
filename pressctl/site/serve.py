"""``pressctl site serve``: the site folder over HTTP on 127.0.0.1 only, for a look before deploying.

Python's ``http.server`` with one thread per request, serving the newsroom and nothing else:

* only files inside the folder, with every symlink resolved (a link to ``/etc`` or to the workspace's
  ``.pressctl/`` is not followed out); no hidden files (a ``.git`` folder, editors' temporary files);
* no directory listings (``/preview/`` would list the advance copies' secret addresses): a folder shows its
  ``index.html`` or is not found;
* only requests whose ``Host:`` is ``127.0.0.1:PORT`` or ``localhost:PORT``: a web page the user visits can
  point a name of its own at 127.0.0.1 (DNS rebinding) and read the answers; its requests carry that name,
  and are refused.

Not a production web server: deploy the folder to one.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from pressctl.errors import InputError

__all__ = ["HOST", "SiteServer", "allowed_hosts", "make_server", "serving"]

HOST = "127.0.0.1"


def allowed_hosts(port: int) -> frozenset[str]:
    """The ``Host:`` values a request to 127.0.0.1:``port`` may carry (lower case)."""
    names = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if port == 80:
        names |= {"127.0.0.1", "localhost"}
    return frozenset(names)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files of one folder; no hidden files, no listings, no links out; loopback names only."""

    log_requests: ClassVar[bool] = False
    root: ClassVar[Path]  # the site folder, resolved
    hosts: ClassVar[frozenset[str]] = frozenset()
    server_version = "pressctl"
    sys_version = ""

    def guess_type(self, path: Any) -> str:
        name = str(path).rsplit("/", 1)[-1]
        if name.endswith(".xml"):
            return "application/atom+xml" if name.startswith("feed") else "application/xml"
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind in ("text/html", "text/css", "text/plain") else kind

    def _resolved(self) -> Path | None:
        """The file (or folder) the request names, inside the site folder with links resolved; else None."""
        path = urllib.parse.unquote(self.path.split("?", 1)[0].split("#", 1)[0])
        if any(part.startswith(".") for part in path.split("/") if part):
            return None
        try:
            target = Path(self.translate_path(self.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if target != self.root and self.root not in target.parents:
            return None  # a symlink out of the folder
        if any(part.startswith(".") for part in target.relative_to(self.root).parts):
            return None  # a link to a hidden file inside it
        if target.is_dir():
            index = (target / "index.html").resolve()
            if not index.is_file() or self.root not in index.parents:
                return None  # no listing: a folder is its index page or nothing
        elif not target.is_file():
            return None  # a FIFO or a device would block the thread
        return target

    def send_head(self) -> Any:
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.hosts:
            self.send_error(421, "Misdirected Request", "This server answers to 127.0.0.1 and localhost only.")
            return None
        if self._resolved() is None:
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "Not found")
        return None

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
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a port number", hint="give one from 1024 to 65535, e.g. --port 8080")
    if not site_dir.is_dir():
        raise InputError(
            "the site folder does not exist", where=str(site_dir), hint="publish a release first"
        )
    root = Path(os.path.realpath(site_dir))
    attrs = {"log_requests": log_requests, "root": root, "hosts": frozenset()}
    handler_class = type("_SiteHandler", (_Handler,), attrs)
    handler = functools.partial(handler_class, directory=str(root))
    try:
        server = SiteServer((HOST, port), handler)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(
            f"cannot listen on {HOST}:{port} ({reason})",
            hint="choose another port with --port, e.g. --port 8080",
        ) from None
    setattr(handler_class, "hosts", allowed_hosts(int(server.server_address[1])))  # noqa: B010
    return server


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
