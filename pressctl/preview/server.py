"""The preview's HTTP server: 127.0.0.1 only, requests with its own ``Host:`` only (as ``site serve``: a page
on another name pointed at 127.0.0.1 is refused), nothing read from disk (every answer is made from the
latest render held in memory), and ``/events``: server-sent events telling the open pages a new version is
ready.

Routes: ``/`` the page, ``/fragment`` its ``<main>``, ``/preview.js``, ``/email/<lang>.html``,
``/text/<lang>.txt``, ``/pdf/<lang>/<n>.jpg``, ``/preview-site/...`` the newsroom page's files and
``/state.json`` (the version and the error, for scripts). ``POST /inbox/score`` asks SpamAssassin to score the
messages again (only from the page's own script: its header and origin are checked).
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, ClassVar

from pressctl.errors import InputError
from pressctl.preview.page import SCRIPT, fragment, page
from pressctl.preview.shown import Built, InboxView
from pressctl.site.serve import HOST, allowed_hosts

__all__ = ["SCORE_HEADER", "PreviewServer", "PreviewState", "make_server"]

SCORE_HEADER = "X-Pressctl-Preview"  # the page's script sends it with POST /inbox/score
KEEPALIVE = 15.0  # seconds between comments on an idle event stream (proxies and browsers keep it open)

_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The email and the newsroom page as the recipients see them, but nothing fetched from elsewhere and no script.
_FRAME_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; frame-ancestors 'self'"


class PreviewState:
    """The latest render, the last one without an error, and a version number the pages follow."""

    def __init__(self, built: Built) -> None:
        self._changed = threading.Condition()
        self.version = 1
        self.built = built
        self.last_good: Built | None = None if built.error else built
        self.closed = False
        self.inbox = InboxView()  # the domain check and SpamAssassin's scores, made in their own thread
        self.score: Callable[[], bool] = lambda: False  # asks for SpamAssassin's scores again

    def show_inbox(self, inbox: InboxView) -> int:
        """A new inbox card (the render stays): the pages fetch it as a new version."""
        with self._changed:
            self.version += 1
            self.inbox = inbox
            self._changed.notify_all()
            return self.version

    def publish(self, built: Built) -> int:
        with self._changed:
            self.version += 1
            self.built = built
            if not built.error:
                self.last_good = built
            self._changed.notify_all()
            return self.version

    def wait(self, seen: int, timeout: float) -> int:
        """The version once it is past ``seen`` (or after ``timeout``, or when the server closes)."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.closed, timeout=timeout)
            return self.version

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def shown(self) -> Built | None:
        """What the email, text, PDF and newsroom routes serve: the render, or the last good one."""
        return self.built if not self.built.error else self.last_good


class _Handler(http.server.BaseHTTPRequestHandler):
    state: ClassVar[PreviewState]
    hosts: ClassVar[frozenset[str]] = frozenset()
    server_version = "pressctl-preview"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: bytes, kind: str, *, policy: str = _PAGE_POLICY) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", policy)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(404, b"Not found\n", "text/plain; charset=utf-8")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.hosts:
            self._send(421, b"This server answers to 127.0.0.1 and localhost only.\n", "text/plain; charset=utf-8")
            return
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        state = self.state
        if path == "/events":
            self._events()
            return
        if path == "/":
            built, good, version, inbox = state.built, state.last_good, state.version, state.inbox
            self._send(200, page(built, good, version, inbox).encode(), "text/html; charset=utf-8")
            return
        if path == "/fragment":
            built, good, version, inbox = state.built, state.last_good, state.version, state.inbox
            self._send(200, fragment(built, good, version, inbox).encode(), "text/html; charset=utf-8")
            return
        if path == "/preview.js":
            self._send(200, SCRIPT.encode(), "text/javascript; charset=utf-8")
            return
        if path == "/state.json":
            body = json.dumps({"version": state.version, "error": state.built.error}, ensure_ascii=False)
            self._send(200, body.encode(), "application/json")
            return
        self._content(path, state.shown())

    def do_POST(self) -> None:
        """``/inbox/score`` from the page's own script only: a page elsewhere cannot send its header without a
        preflight this server never answers, and a browser names the origin it comes from."""
        host = (self.headers.get("Host") or "").strip().lower()
        origin = self.headers.get("Origin")
        path = urllib.parse.urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 65536:
            self.rfile.read(length)
        if host not in self.hosts:
            self._send(421, b"This server answers to 127.0.0.1 and localhost only.\n", "text/plain; charset=utf-8")
        elif self.headers.get(SCORE_HEADER) != "1" or (origin is not None and origin != f"http://{host}"):
            self._send(403, b"Only the preview page asks for this.\n", "text/plain; charset=utf-8")
        elif path != "/inbox/score":
            self._not_found()
        elif self.state.score():
            self._send(202, b"Scoring.\n", "text/plain; charset=utf-8")
        else:
            self._send(409, b"No SpamAssassin is to be run.\n", "text/plain; charset=utf-8")

    def _content(self, path: str, shown: Built | None) -> None:
        if shown is None:
            self._not_found()
            return
        views = {view.language: view for view in shown.languages}
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "email" and parts[1].endswith(".html") and parts[1][:-5] in views:
            self._send(200, views[parts[1][:-5]].email_html.encode(), "text/html; charset=utf-8", policy=_FRAME_POLICY)
        elif len(parts) == 2 and parts[0] == "text" and parts[1].endswith(".txt") and parts[1][:-4] in views:
            self._send(200, views[parts[1][:-4]].text.encode(), "text/plain; charset=utf-8")
        elif len(parts) == 3 and parts[0] == "pdf" and parts[1] in views and parts[2].endswith(".jpg"):
            pages = {f"{p.number}.jpg": p for p in views[parts[1]].pages}
            if parts[2] in pages:
                self._send(200, pages[parts[2]].jpeg, "image/jpeg")
            else:
                self._not_found()
        elif path.lstrip("/") in shown.site_files:
            name = path.lstrip("/")
            self._send(200, shown.site_files[name], _kind(name), policy=_FRAME_POLICY)
        else:
            self._not_found()

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.close_connection = True
        seen = -1
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not self.state.closed:
                now = self.state.wait(seen, KEEPALIVE) if seen >= 0 else self.state.version
                if self.state.closed:
                    break
                if now != seen:
                    seen = now
                    self.wfile.write(f"event: version\ndata: {now}\n\n".encode())
                else:
                    self.wfile.write(b": still watching\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            return  # the page went away


def _kind(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "gif": "image/gif",
        "pdf": "application/pdf",
        "svg": "image/svg+xml",
        "ico": "image/x-icon",
        "xml": "application/xml",
        "json": "application/json",
    }.get(suffix, "application/octet-stream")


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: PreviewState

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def server_close(self) -> None:
        self.state.close()
        super().server_close()


def make_server(state: PreviewState, *, port: int = 0) -> PreviewServer:
    """A server for ``state`` on 127.0.0.1:``port`` (0: any free port). Call ``serve_forever()``."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a port number", hint="give one from 1024 to 65535, e.g. --port 8765")
    handler = type("_PreviewHandler", (_Handler,), {"state": state, "hosts": frozenset()})
    try:
        server = PreviewServer((HOST, port), handler)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(
            f"cannot listen on {HOST}:{port} ({reason})", hint="choose another port with --port, e.g. --port 8765"
        ) from None
    server.state = state
    setattr(handler, "hosts", allowed_hosts(int(server.server_address[1])))  # noqa: B010
    return server
