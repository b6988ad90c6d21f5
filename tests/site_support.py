"""Helpers for the newsroom tests: a published sample site, a fixed clock, and headless Chromium over CDP.

The browser is Debian's ``chromium`` driven over the DevTools protocol with ``websocket-client``: start it
with ``--remote-debugging-port=0``, read the port it chose from its stderr, open a tab and talk JSON to it.
axe-core comes from npm, installed once into a cache folder (``PRESSCTL_TEST_CACHE``, default
``~/.cache/pressctl-tests``) or taken from ``AXE_CORE_JS`` when set.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from render_support import make_workspace

from pressctl.config import Workspace
from pressctl.release.load import Release, load_release_set

__all__ = [
    "AXE_VERSION",
    "CHROMIUM",
    "Browser",
    "axe_source",
    "axe_violations",
    "fixed_clock",
    "make_workspace",
    "sample_releases",
]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE_VERSION = "4.10"  # npm range: the newest 4.10.x


def fixed_clock(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


def sample_releases(root: Path, ws: Workspace) -> list[Release]:
    return load_release_set(root / "releases" / "sample.md", ws)


def _cache_dir() -> Path:
    return Path(os.environ.get("PRESSCTL_TEST_CACHE") or Path.home() / ".cache" / "pressctl-tests")


def axe_source() -> str | None:
    """axe.min.js, installed with npm into the cache on first use; None when that is impossible."""
    given = os.environ.get("AXE_CORE_JS")
    if given and Path(given).is_file():
        return Path(given).read_text(encoding="utf-8")
    folder = _cache_dir() / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder), f"axe-core@~{AXE_VERSION}"],
            capture_output=True,
            timeout=300,
        )
        if done.returncode != 0 or not script.is_file():
            return None
    return script.read_text(encoding="utf-8")


def axe_violations(chrome: Browser, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page ``chrome`` shows: id, impact, help and the first nodes."""
    chrome.evaluate(source)
    violations: list[dict[str, Any]] = chrome.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))",
        await_promise=True,
    )
    return violations


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        import websocket

        assert CHROMIUM is not None
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: close() ends the helpers it starts too
        )
        assert self.proc.stderr is not None
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise CDPError(f"chromium exited with status {self.proc.returncode}")
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
        if port is None:
            self.close()
            raise CDPError("chromium did not start its DevTools server")
        # Keep reading stderr so a chatty browser never blocks on a full pipe.
        import threading

        threading.Thread(target=self._drain, daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Network.enable")

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv())
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == ident:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        for i, message in enumerate(self.events):
            if message["method"] == event:
                del self.events[: i + 1]
                return message
        while True:
            message = self._receive()
            if message.get("method") == event:
                return message
            if "method" in message:
                self.events.append(message)

    def viewport(self, width: int, height: int = 900) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )

    def load(self, url: str) -> list[dict[str, Any]]:
        """Open ``url``, wait for its load event; return the responses (url, status) seen meanwhile."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        # Lazy images below the fold load once scrolled into view: bring everything in, then settle.
        self.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        self.evaluate("new Promise(r => setTimeout(r, 100))", await_promise=True)
        self.evaluate("window.scrollTo(0, 0)")
        responses = []
        for message in self.events:
            if message["method"] == "Network.responseReceived":
                response = message["params"]["response"]
                responses.append({"url": response["url"], "status": response["status"]})
            elif message["method"] == "Network.loadingFailed":
                responses.append({"url": message["params"].get("requestId"), "status": 0,
                                  "error": message["params"].get("errorText")})
        return responses

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=await_promise, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression[:60]}...: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """The whole page as PNG (beyond the viewport)."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Chromium's zygote and renderers may outlive the browser process for a moment and still write to
        # the profile folder: end the whole group before the folder is removed.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@contextmanager
def browser() -> Iterator[Browser]:
    with tempfile.TemporaryDirectory(prefix="pressctl-chromium-", ignore_cleanup_errors=True) as profile:
        b = Browser(Path(profile))
        try:
            yield b
        finally:
            b.close()
