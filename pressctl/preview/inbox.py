"""The preview's "landing in the inbox" card: the sending-domain check and SpamAssassin's score of one message
per language (what the dry run's page shows, :func:`pressctl.send.domaincheck.deliverability`), made off the
re-render path.

A thread of its own does the work and puts an :class:`~pressctl.preview.shown.InboxView` on the page when it
is done, so the page's update after a save never waits for DNS or SpamAssassin (~1-2 s a language). The
domain check runs when the page is up and again when what it depends on changes (``[sender]``, ``[smtp]``,
``[dns]``) or the button is pressed; it asks only ``[dns] nameservers`` (or the machine's resolver when none are set). SpamAssassin
scores once when the page is up, then when asked (the page's button, :meth:`InboxWorker.score`), one
language after the other so one core is left to the re-render; a score made for earlier words is shown as
such. ``PRESSCTL_SPAMASSASSIN=off`` (the tests' default) runs none.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from pressctl.config import Workspace
from pressctl.errors import PressctlError
from pressctl.model import Contact
from pressctl.preview.shown import InboxView
from pressctl.send.domaincheck import domain_report
from pressctl.send.options import SendOptions
from pressctl.send.spamscore import SpamScore, spam_program, spam_scores

__all__ = ["SAMPLE_READER", "InboxWorker", "domain_view", "sample_messages"]

SAMPLE_READER = "editor@example.com"  # the reader of the scored messages (merge fields at their fallbacks)
_WORDS = {"info": "note", "warn": "warning", "stop": "stops a send"}


def domain_view(workspace: Workspace) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The check for ``[sender] from`` through the workspace's relays, as the summary and the findings that
    are not ok; a setting the check cannot use is its one line."""
    try:
        report = domain_report(workspace, SendOptions().relays(workspace))
    except PressctlError as exc:
        return f"sending domain not checked: {exc}", ()
    if report.unreachable or not report.checked:  # the summary says why, once
        return report.summary(), ()
    return report.summary(), tuple((_WORDS[f.level], f.text()) for f in report.findings if f.level != "ok")


def sample_messages(release: Path, workspace: Workspace) -> dict[str, bytes]:
    """One message per language as a send at the lift builds it (headers, bodies, PDF, DKIM), to
    :data:`SAMPLE_READER`."""
    from pressctl.send.plan import plan_send

    plan = plan_send(release, [], workspace=workspace, check_embargo=False, need_contacts=False, preview=True)
    factory = plan.factory("preview-" + plan.fingerprint)
    return {
        r.language: bytes(factory.build(Contact(email=SAMPLE_READER, language=r.language)).data) for r in plan.releases
    }


def _settings(workspace: Workspace) -> str:
    """What the domain check depends on, to tell whether it must be made again."""
    return repr((workspace.sender, workspace.smtp_url, workspace.smtp_relays, workspace.dns))


class InboxWorker:
    """Makes the card in a thread; ``show`` puts each new :class:`InboxView` on the page."""

    def __init__(
        self,
        *,
        release: Path,
        workspace: Callable[[], Workspace],
        environ: Mapping[str, str],
        show: Callable[[InboxView], object],
        words: Callable[[], str],
        names: Callable[[], Mapping[str, str]],
    ) -> None:
        self.release = release
        self.workspace = workspace
        self.environ = environ
        self.show = show
        self.words = words  # the words on the page now (Built.words)
        self.names = names  # language tag -> its name, for the score lines
        self.program = spam_program(environ)
        self.view = InboxView(spam="" if self.program else _no_program(environ))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._want_domain = True
        self._want_scores = self.program is not None  # once when the page is up
        self._checked: str | None = None
        self._thread = threading.Thread(target=self._loop, name="pressctl-preview-inbox", daemon=True)

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def changed(self) -> None:
        """A new render is on the page: check the domain again if its settings changed."""
        self._want_domain = True
        self._wake.set()

    def score(self) -> bool:
        """Score the messages again (the page's button), and ask DNS again (records change); False when no
        SpamAssassin is to be run."""
        if self.program is None:
            return False
        self._want_scores = True
        self._want_domain = True
        self._checked = None
        self._wake.set()
        return True

    def _put(self, view: InboxView) -> None:
        if view != self.view and not self._stop.is_set():
            self.view = view
            self.show(view)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                workspace = self.workspace()
            except PressctlError as exc:  # a broken pressctl.toml: the page's error line says it
                self._checked = None  # checked again once it loads
                self._want_domain = True
                self._put(dataclasses.replace(self.view, domain=f"sending domain not checked: {exc}", findings=()))
                continue
            if self._want_domain:
                self._want_domain = False
                settings = _settings(workspace)
                if settings != self._checked:
                    self._checked = settings
                    domain, findings = domain_view(workspace)
                    self._put(dataclasses.replace(self.view, domain=domain, findings=findings))
            if self._want_scores:
                self._want_scores = False
                self._scores(workspace)

    def _scores(self, workspace: Workspace) -> None:
        assert self.program is not None
        words = self.words()
        self._put(dataclasses.replace(self.view, scoring=True))
        try:
            messages = sample_messages(self.release, workspace)
        except PressctlError as exc:
            self._put(dataclasses.replace(self.view, scoring=False, scores=(("", f"not scored: {exc}"),), scored=words))
            return
        lines: list[tuple[str, str]] = []
        names = self.names()
        for language, message in messages.items():  # one at a time: a core stays free for the re-render
            if self._stop.is_set():
                return
            found = spam_scores(
                {language: message}, program=self.program, environ=self.environ,
                withhold=workspace.secret_env_names,
            )[language]
            line = found.line() if isinstance(found, SpamScore) else found
            lines.append((f"{names.get(language, language)} ({language})", line))
        self._put(dataclasses.replace(self.view, scoring=False, scores=tuple(lines), scored=words))


def _no_program(environ: Mapping[str, str]) -> str:
    chosen = environ.get("PRESSCTL_SPAMASSASSIN", "").strip()
    if chosen.lower() in ("off", "no", "0", "false"):
        return f"SpamAssassin is switched off (PRESSCTL_SPAMASSASSIN={chosen})"
    if chosen:
        return f"SpamAssassin was not found: PRESSCTL_SPAMASSASSIN names {chosen}, which is not a program on PATH"
    return "SpamAssassin is not installed, so no score (Debian: apt install spamassassin)"
