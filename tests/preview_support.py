"""Helpers for the preview tests: a real ``pressctl preview`` started on a free port of 127.0.0.1, and the
state of its page read from headless Chromium."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from site_support import Browser

__all__ = ["PRESSCTL", "page_state", "running_preview"]

PRESSCTL = str(Path(sys.executable).with_name("pressctl"))

# What the page shows, read in the page: each language's email (inside its frame), text, PDF page texts.
_STATE = """(() => {
  const out = {version: document.getElementById('content').dataset.version,
               h1: (document.querySelector('h1') || {}).textContent || '',
               error: (document.getElementById('error') || {}).textContent || '',
               marker: window.__pressctlTestMarker || null, languages: {}};
  document.querySelectorAll('section[id^="lang-"]').forEach(s => {
    const frame = s.querySelector('iframe[id^="email-phone-"]');
    let email = '';
    try { email = frame.contentDocument.body.innerText; } catch (e) { email = ''; }
    out.languages[s.id.slice(5)] = {
      email: email,
      text: (s.querySelector('pre.text') || {}).textContent || '',
      pdf: Array.from(s.querySelectorAll('.pages img')).map(i => i.alt).join(' '),
      pdfLoaded: Array.from(s.querySelectorAll('.pages img')).every(i => i.complete && i.naturalWidth > 0),
      subject: (s.querySelector('.subject') || {}).textContent || '',
    };
  });
  return out;
})()"""


def page_state(chrome: Browser) -> dict[str, Any]:
    state: dict[str, Any] = chrome.evaluate(_STATE)
    return state


@contextmanager
def running_preview(
    root: Path, release: str = "releases/sample.md", *, env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``pressctl preview RELEASE --port 0`` in ``root`` (with ``env``: that environment); its URL. Ended with
    Ctrl-C (SIGINT) afterwards."""
    proc = subprocess.Popen(
        [PRESSCTL, "preview", release, "--port", "0"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env) if env is not None else None,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield proc, found.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
