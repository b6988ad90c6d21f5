"""Plan a campaign (release + contact lists + options) and run it through the ledger: the library API of ``send``.

Two steps, so the CLI can show a summary and ask before anything leaves::

    plan = plan_send(release, [contacts_csv], workspace=ws, options=SendOptions(rate="10/s"))
    with Ledger(plan.ledger_path) as ledger:
        result = run_send(plan, ledger=ledger, transport=make_transport(plan))

``plan_send`` loads the release set and the lists, refuses an embargo that has not lifted (unless this is
an advance copy), renders each language once, checks merge fields and computes the campaign fingerprint.
``run_send`` finds the campaign with that fingerprint in the ledger (or starts one), records every
recipient, and sends to those still to do. The scheduler (``pressctl.schedule.dispatcher``) drives the same two
steps through :class:`LedgerCampaignSender`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.config.smtp import relay_password
from pressctl.digests import feed_file
from pressctl.embargo import HandoverGate, check_send_now
from pressctl.errors import (
    ContactsError,
    InputError,
    LedgerError,
    PressctlError,
    ReleaseBusy,
    SendAborted,
)
from pressctl.ledger import LOCK_LEASE, Campaign, Ledger, LockHolder, RecipientRecord, recipients_left
from pressctl.model import Contact, EmailLinks, OutgoingMessage, Rendered
from pressctl.rates import Rate, parse_rate
from pressctl.relays import policy
from pressctl.relays.adaptive import DAY, CapPlan
from pressctl.relays.adaptive import plan_cap as _plan_cap
from pressctl.relays.oauth import TokenSource, login_xoauth2
from pressctl.relays.profiles import DEFAULT_CONNECTIONS, EffectiveLimits, LimitOptions, resolve_limits
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.send.audience import open_campaign, totals_line
from pressctl.send.copies import copy_models
from pressctl.send.engine import Delivery, DeliveryOptions, DeliveryProgress, DeliveryResult, Lane, deliver
from pressctl.send.relayset import RelaySpec, limit_options, relay_specs
from pressctl.send.relayset import config_limits as _smtp_limits
from pressctl.send.sender import SendOutcome
from pressctl.send.transport import (
    OutboxTransport,
    Outcome,
    RelayPool,
    SmtpTransport,
    Transport,
    envelope_sender,
    parse_smtp_url,
)
from pressctl.times import format_local, format_offset, parse_duration

if TYPE_CHECKING:
    from pressctl.contacts.load import ContactSet
    from pressctl.send.messages import MessageFactory

__all__ = [
    "LedgerCampaignSender",
    "ReleaseLock",
    "SendOptions",
    "SendPlan",
    "SendResult",
    "make_transport",
    "open_campaign",
    "plan_send",
    "release_key",
    "run_send",
]


# The emails' newsroom links for a release set and whether it is an advance copy (pressctl.site.links).
SiteLinks = Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]]

# Option names as the CLI spells them (and as `pressctl schedule` keeps them in a job).
_ALIASES = {"under_embargo": "advance_copy", "from": "from_addr", "lang": "language", "smtp": "smtp_url"}


MAX_CONCURRENCY = policy.MAX_CONCURRENCY


@dataclass(frozen=True)
class SendOptions:
    """Everything ``pressctl send`` can be told, as plain values (JSON-able through ``to_mapping``)."""

    encoding: str | None = None
    where: tuple[str, ...] = ()
    suppress: tuple[str, ...] = ()
    language: str | None = None  # --lang: only this language version of the release
    from_addr: str | None = None
    pdf_mode: str | None = None
    advance_copy: bool = False  # --under-embargo
    new_campaign: bool = False
    smtp_url: str | None = None  # one --smtp (a job scheduled before several relays keeps it here)
    smtp_urls: tuple[str, ...] = ()  # --smtp, repeated: several relays (see send.relayset)
    db: str | None = None
    concurrency: int | None = None  # None: the relay profile's, [smtp] concurrency, or 4
    rate: str | None = None  # None: the profile's or [smtp] rate; "0": explicitly no limit
    smtp_profile: str | None = None  # --smtp-profile
    daily_cap: int | None = None  # --daily-cap: recipients per rolling 24 h for the relay account; 0: none
    batch_size: int = 0
    batch_pause: str = "0"
    max_attempts: int = policy.MAX_ATTEMPTS
    retry_for: str = policy.RETRY_FOR
    reconnect_after: int = policy.RECONNECT_AFTER
    max_consecutive_failures: int = policy.MAX_CONSECUTIVE_FAILURES
    skip_advance: bool = False  # --skip-advance: a lift send leaves out who had the advance copy
    retry_failed: bool = False  # --retry-failed: failures that were not bounces are tried again this run
    copy_to: tuple[str, ...] = ()  # --copy-to: internal copies, with [sender] internal_copies

    def to_mapping(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SendOptions:
        """Options from a mapping (a scheduled job's); unknown keys are ignored, ``under_embargo`` understood."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            key = _ALIASES.get(key, key)
            if key == "smtp_url" and isinstance(value, list | tuple):  # --smtp repeated, kept as a list
                key = "smtp_urls"
            if key in known and value is not None:
                values[key] = tuple(value) if key in ("where", "suppress", "smtp_urls", "copy_to") else value
        return cls(**values)

    @property
    def relay_urls(self) -> tuple[str, ...]:
        """Every --smtp given (one or several), in order; empty: the workspace's relays."""
        urls = list(self.smtp_urls)
        if self.smtp_url and self.smtp_url not in urls:
            urls.insert(0, self.smtp_url)
        return tuple(urls)

    def relays(self, workspace: Workspace) -> tuple[RelaySpec, ...]:
        """The run's relays, each with its limits and where each came from (see :mod:`pressctl.send.relayset`);
        empty for the local outbox."""
        return relay_specs(workspace, self.relay_urls, self.limit_options())

    @property
    def parsed_rate(self) -> Rate | None:
        return parse_rate(self.rate) if self.rate is not None else None

    def limit_options(self) -> LimitOptions:
        """The limits given on the command line (or kept in a job), for :func:`resolve_limits`."""
        if self.daily_cap is not None and self.daily_cap < 0:
            raise InputError("--daily-cap must be 0 (no cap) or more")
        return limit_options(
            profile=self.smtp_profile, concurrency=self.concurrency, rate=self.rate, daily_cap=self.daily_cap,
            option="--rate",
        )

    def limits(self, workspace: Workspace) -> EffectiveLimits:
        """The run's connections, rate and daily cap, each with where it came from: these options, then
        ``[smtp]`` in pressctl.toml, then the relay profile (named, or recognised from the relay's host).
        With several relays: the first one's (each relay's own are in :meth:`relays`)."""
        relays = self.relays(workspace)
        if relays:
            return relays[0].limits
        return resolve_limits(cli=self.limit_options(), config=config_limits(workspace), host=None)

    def delivery_options(self, limits: EffectiveLimits | None = None) -> DeliveryOptions:
        concurrency = limits.connections.value if limits else (
            DEFAULT_CONNECTIONS if self.concurrency is None else self.concurrency
        )
        rate = limits.rate.value if limits else self.parsed_rate
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            # Dozens of parallel connections don't make a relay faster; they get a sender rate-limited or blocked.
            raise InputError(
                f"--concurrency must be between 1 and {MAX_CONCURRENCY}",
                hint="4 to 10 connections is plenty for most relays",
            )
        if self.max_attempts < 1:
            raise InputError("--max-attempts must be at least 1")
        if self.reconnect_after < 1:
            raise InputError("--reconnect-after must be at least 1")
        if self.batch_size < 0:
            raise InputError("--batch-size must be 0 (no batches) or more")
        return DeliveryOptions(
            concurrency=concurrency,
            rate=rate,
            batch_size=self.batch_size,
            batch_pause=parse_duration(self.batch_pause, option="--batch-pause").total_seconds(),
            max_attempts=self.max_attempts,
            retry_for=parse_duration(self.retry_for, option="--retry-for").total_seconds(),
            reconnect_after=self.reconnect_after,
            max_consecutive_failures=self.max_consecutive_failures,
        )

    def fingerprint_part(self) -> dict[str, Any]:
        """The options that change what is sent or to whom (not how fast): part of the campaign identity."""
        return {
            "encoding": self.encoding,
            "where": list(self.where),
            "language": self.language,
            "from": self.from_addr,
            "pdf": self.pdf_mode,
            "advance_copy": self.advance_copy,
            # Only when given: fingerprints of campaigns made before the option stay as they were.
            **({"skip_advance": True} if self.skip_advance else {}),
        }


@dataclass
class SendPlan:
    """A send, ready to go: what, to whom, how it looks. Made by :func:`plan_send`; nothing sent yet."""

    workspace: Workspace
    release_path: Path
    releases: list[Release]
    contact_paths: list[Path]
    contacts: ContactSet
    options: SendOptions
    merge_plan: MergePlan
    renders: dict[str, Rendered]
    pdfs: dict[str, bytes]
    embargoed: bool
    fingerprint: str
    files: list[Path] = field(default_factory=list)  # every file that went into the fingerprint
    links: Mapping[str, EmailLinks] = field(default_factory=dict)  # newsroom links per language ([site] base_url)
    limits: EffectiveLimits | None = None  # connections, rate, daily cap and where each came from
    relays: tuple[RelaySpec, ...] = ()  # the relays, each with its own limits (empty: the local outbox)
    release_digest: str = ""  # the release files alone (a correction is a campaign whose release changed)

    def delivery_options(self) -> DeliveryOptions:
        """The engine's options with this run's effective limits (the profile's where nothing else says)."""
        return self.options.delivery_options(self.limits or self.options.limits(self.workspace))

    def relay_options(self, spec: RelaySpec) -> DeliveryOptions:
        """The engine's options for one relay: the run's, with the relay's connections and rate."""
        return self.options.delivery_options(spec.limits)

    @property
    def main(self) -> Release:
        return self.releases[0]

    @property
    def languages(self) -> list[str]:
        return [r.language for r in self.releases]

    @property
    def ledger_path(self) -> Path:
        return Path(self.options.db) if self.options.db else self.workspace.ledger_path

    @property
    def from_addr(self) -> str:
        return self.options.from_addr or self.workspace.sender.from_addr

    @property
    def message_id_domain(self) -> str:
        return envelope_sender(self.from_addr).rpartition("@")[2].lower()

    def factory(self, campaign_token: str, *, subject_prefix: str = "", wire: bool = False) -> MessageFactory:
        """The message builder for one campaign (its token makes the Message-IDs); ``wire``: see MessageFactory."""
        from pressctl.send.messages import MessageFactory

        return MessageFactory(
            self.renders,
            self.pdfs,
            self.workspace,
            self.merge_plan,
            campaign_id=campaign_token,
            from_addr=self.options.from_addr,
            pdf_mode=self.options.pdf_mode,
            subject_prefix=subject_prefix,
            wire=wire,
            links=self.links,
        )

    @property
    def warnings(self) -> list[str]:
        """Things worth a line before sending that don't stop it (the CLI prints them as warnings)."""
        from pressctl.render.files import release_warnings

        return [*release_warnings(self.releases, system_clock()), *unsubscribe_warnings(self.workspace)]

    def attachments(self) -> list[tuple[str, int]]:
        """(file name, bytes) of every file attached to the messages: the PDFs when attached, then the
        release's own attachments, each once. Shown before a send and in the dry run, so nothing leaves
        unseen."""
        from pressctl.render.names import pdf_filename

        mode = self.options.pdf_mode or self.workspace.sender.pdf
        found: list[tuple[str, int]] = []
        if mode in ("attach", "both") and self.pdfs:
            main_language = self.languages[0]
            found += [
                (pdf_filename(self.main.slug, lang, main_language=main_language), len(data))
                for lang, data in self.pdfs.items()
            ]
        seen: set[Path] = set()
        for release in self.releases:
            for path in release.attachments:
                if path not in seen:
                    seen.add(path)
                    found.append((path.name, path.stat().st_size))
        return found

    def summary(self) -> dict[str, Any]:
        """The numbers the CLI shows before sending."""
        c = self.contacts
        return {
            "release": str(self.release_path),
            "title": self.main.title,
            "languages": c.per_language() or dict.fromkeys(self.languages, 0),
            "recipients": len(c.selected),
            "suppressed": len(c.suppressed),
            "invalid": len(c.invalid),
            "duplicates": len(c.duplicates),
            "excluded": c.excluded,
            "embargoed": self.embargoed,
            "embargo": f"{_local(self.main):%Y-%m-%d %H:%M %Z} ({format_offset(_local(self.main))})" if self.main.embargo else None,
        }


@dataclass
class SendResult:
    """How a run ended, with the campaign's totals from the ledger (all runs together)."""

    campaign: Campaign
    totals: dict[str, int]
    run: DeliveryResult
    new_campaign: bool = False
    skipped: int = 0  # already had this release from an earlier campaign
    cap: CapPlan | None = None  # the relay account's rolling daily cap, when one applied to this run
    caps: list[RelayCap] = field(default_factory=list)  # with several relays: each capped one's
    advance: int = 0  # of the sent, those who had the advance copy (they got the released version)
    copies: list[RecipientRecord] = field(default_factory=list)  # internal copies ([sender] internal_copies, --copy-to)
    retried: int = 0  # failures put back to pending by --retry-failed
    final_failures: int = 0  # failed for good and not a bounce: what --retry-failed would try again

    @property
    def left(self) -> int:
        return recipients_left(self.totals)

    @property
    def complete(self) -> bool:
        """Everyone who could be sent to was sent to."""
        return self.left == 0 and self.totals["failed"] == 0

    def line(self) -> str:
        """``40 sent (36 + 4 who had the advance copy), 2 suppressed``: the journalists, never the copies."""
        return totals_line(self.totals, advance=self.advance)


# -- planning -----------------------------------------------------------------------------------------------
def unsubscribe_warnings(workspace: Workspace) -> list[str]:
    """A warning when ``sender.unsubscribe_url`` puts the address itself in every link (``{email}``)."""
    sender = workspace.sender
    if "{email}" in sender.unsubscribe_url or "{email}" in sender.unsubscribe_mailto:
        where = workspace.config_path.name if workspace.config_path else "pressctl.toml"
        return [
            f"{where}: sender.unsubscribe_url puts each reader's address in the link ({{email}}): it leaks in "
            "forwarded copies and web logs, and spam filters score it. Use {token} (an opaque per-reader "
            "token; `pressctl suppress import` turns recorded tokens into suppressions)"
        ]
    return []


def _local(release: Release) -> dt.datetime:
    local = release.embargo_local()
    assert local is not None
    return local


def _release_files(releases: Sequence[Release]) -> list[Path]:
    seen: dict[Path, None] = {}
    for release in releases:
        seen.setdefault(Path(release.path).resolve(), None)
    for release in releases:
        for photo in release.photos:
            seen.setdefault(Path(photo.src).resolve(), None)
        for attachment in release.attachments:
            seen.setdefault(Path(attachment).resolve(), None)
        for image in release.images.values():
            seen.setdefault(Path(image).resolve(), None)
    return list(seen)


def _fingerprint(release_files: Sequence[Path], lists: Sequence[Path], options: SendOptions | None) -> str:
    """By content, not by path: a scheduled job's snapshot resumes the campaign its originals would."""
    digest = hashlib.sha256()
    for role, paths in (("release", release_files), ("list", lists)):
        for path in paths:
            digest.update(role.encode() + b"\0")
            try:
                feed_file(digest, path)
            except OSError as exc:  # permission denied, an I/O error: the user's file, not a crash
                raise InputError(
                    f"cannot read the file ({exc.strerror or type(exc).__name__})", where=str(path),
                    hint="check that the file is readable",
                ) from None
            digest.update(b"\0")
    if options is not None:  # None: the release files alone (SendPlan.release_digest)
        digest.update(json.dumps(options.fingerprint_part(), sort_keys=True).encode())
    return digest.hexdigest()[:32]


def _show(release: Release) -> Callable[[dt.datetime], str]:
    """How this release's times are shown in embargo messages: in its own zone."""
    zone = release.zone
    return lambda when: format_local(when, zone)


def _render_pdfs(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> dict[str, bytes]:
    from pressctl.render.pdf import render_pdf

    return {r.language: render_pdf(r, workspace, merge_plan, embargoed=embargoed) for r in releases}


def _start_pdfs(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> Callable[[], dict[str, bytes]]:
    """Render the PDFs in a forked child while this process reads the contact lists; returns the waiter.

    Why: WeasyPrint is the slow part of planning (~0.8 s for EN + zh-HK) and the heavy one (~100 MB of
    fonts and layout that would otherwise stay in this process for the whole send; at 100,000 recipients
    that is the difference between ~180 and ~280 MB). Forking needs no pickling of the inputs. Only when
    this process has one thread (forking with threads can deadlock the child); else, in-process.
    """
    import os

    if not hasattr(os, "fork") or threading.active_count() > 1:
        result = _render_pdfs(releases, workspace, merge_plan, embargoed=embargoed)
        return lambda: result
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, send the bytes (or the error) up the pipe, leave without cleanup
        code = 0
        try:
            os.close(read_fd)
            try:
                payload: tuple[str, Any] = ("ok", _render_pdfs(releases, workspace, merge_plan, embargoed=embargoed))
            except PressctlError as exc:
                payload = ("error", (type(exc), exc.what, exc.where, exc.hint))
            except BaseException as exc:  # reported by type only: the text could be anything
                payload = ("crash", type(exc).__name__)
            with os.fdopen(write_fd, "wb") as fh:
                pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)

    def wait() -> dict[str, bytes]:
        try:
            with os.fdopen(read_fd, "rb") as fh:
                data = fh.read()
        finally:
            os.waitpid(pid, 0)
        kind: str
        value: Any
        kind, value = pickle.loads(data) if data else ("crash", "no result")
        if kind == "ok":
            return dict(value)
        if kind == "error":
            cls, what, where, hint = value
            error = cls.__new__(cls)
            PressctlError.__init__(error, what, where=where, hint=hint)
            raise error
        raise RuntimeError(f"rendering the PDF failed in the worker process ({value})")

    return wait


def _cached_or_render(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> Callable[[], dict[str, bytes]]:
    """The PDFs from ``.pressctl/cache/`` when these exact inputs were rendered before (a dry run, an
    earlier send), else rendered (see :func:`_start_pdfs`) and kept there for the next command."""
    from pressctl.render.pdfcache import load_pdfs, pdf_keys, store_pdfs

    keys = pdf_keys(releases, workspace, merge_plan, embargoed=embargoed)
    cached = load_pdfs(workspace, keys)
    if cached is not None:
        return lambda: cached
    wait = _start_pdfs(releases, workspace, merge_plan, embargoed=embargoed)

    def wait_and_store() -> dict[str, bytes]:
        pdfs = wait()
        store_pdfs(workspace, keys, pdfs)
        return pdfs

    return wait_and_store


def plan_send(
    release_path: Path,
    contact_paths: Sequence[Path],
    *,
    workspace: Workspace,
    options: SendOptions | None = None,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    check_embargo: bool = True,
    render: bool = True,
    site_links: SiteLinks | None = None,
    need_contacts: bool = True,
    test: bool = False,
) -> SendPlan:
    """Load, check and render everything a send needs. Raises a PressctlError for anything wrong; sends nothing.

    The embargo is checked against the moment the send will start: ``max(now, not_before)``; the scheduler
    passes its job time as ``not_before`` (and then must pass it to :func:`run_send` too).
    ``check_embargo=False`` leaves time checks to the caller (``pressctl schedule`` checks its own).
    ``site_links`` gives the emails' newsroom links from the loaded releases and whether this is an advance
    copy (``pressctl.site.links.email_links``, passed in by the CLI and the scheduler); it may refuse.
    ``need_contacts=False`` with no lists plans nobody (``pressctl smtp check RELEASE`` sizes the messages).
    ``test``: test copies (``--test-to``), never refused for the embargo: under embargo they are marked
    EMBARGOED like an advance copy (a copy to one's own address breaks no embargo).
    """
    from pressctl.contacts.load import check_merge_fields, load_contacts
    from pressctl.release.load import load_release_set

    options = options or SendOptions()
    for url in options.relay_urls:
        parse_smtp_url(url)
    relays = options.relays(workspace)
    limits = relays[0].limits if relays else options.limits(workspace)
    options.delivery_options(limits)  # option errors first, before any slow work
    for spec in relays[1:]:
        options.delivery_options(spec.limits)
    from pressctl.contacts.segments import parse_where

    for expr in options.where:
        parse_where(expr)  # a wrong --where is one line now, not after a full render
    release_path = Path(release_path)
    releases = load_release_set(release_path, workspace, only=options.language)
    main = releases[0]
    moment = now or system_clock()
    if not_before is not None and not_before > moment:
        moment = not_before
    if test:
        embargoed = main.is_embargoed(moment)
    elif check_embargo:
        embargoed = check_send_now(
            main.embargo, moment=moment, advance_copy=options.advance_copy, where=str(release_path), show=_show(main)
        )
    else:
        embargoed = options.advance_copy
    links = site_links(releases, embargoed) if site_links is not None else {}
    lists = [Path(p) for p in contact_paths]
    merge_plan = MergePlan()
    renders: dict[str, Rendered] = {}
    pdfs: dict[str, bytes] = {}
    pending_pdfs: Callable[[], dict[str, bytes]] | None = None
    if render:
        from pressctl.render.email import render_email

        # The emails first: they fill the merge plan the PDFs (and the merge-field check) rely on.
        for release in releases:
            renders[release.language] = render_email(
                release, workspace, merge_plan, embargoed=embargoed, links=links.get(release.language)
            )
        pending_pdfs = _cached_or_render(releases, workspace, merge_plan, embargoed=embargoed)
    try:
        if not lists and not need_contacts:
            from pressctl.contacts.load import ContactSet

            contacts = ContactSet()
        else:
            contacts = load_contacts(
                lists,
                encoding=options.encoding,
                where=options.where,
                suppress=[Path(p) for p in options.suppress],
                workspace=workspace,
                languages=[r.language for r in releases],
                default_language=main.language,
                ledger_path=Path(options.db) if options.db else None,
            )
        if render:
            missing = check_merge_fields(contacts.selected, merge_plan, renders)
            if missing:
                first = missing[0]
                who = ", ".join(c.source or c.email for c in first.contacts[:3])
                more = f" and {len(first.contacts) - 3} more" if len(first.contacts) > 3 else ""
                raise ContactsError(
                    f"merge field '{first.field}' is empty for {len(first.contacts)} contact(s): {who}{more}",
                    hint=f'fill the column, or give the field a fallback in the release: {{{{ {first.field} or "..." }}}}',
                )
    except BaseException:
        if pending_pdfs is not None:
            with contextlib.suppress(Exception):
                pending_pdfs()  # reap the child; the first error is the one to show
        raise
    if pending_pdfs is not None:
        pdfs = pending_pdfs()
    files = _release_files(releases)
    return SendPlan(
        workspace=workspace,
        release_path=release_path,
        releases=releases,
        contact_paths=lists,
        contacts=contacts,
        options=options,
        merge_plan=merge_plan,
        renders=renders,
        pdfs=pdfs,
        embargoed=embargoed,
        fingerprint=_fingerprint(files, lists, options),
        release_digest=_fingerprint(files, [], None),
        files=files,
        links=links,
        limits=limits,
        relays=relays,
    )


def make_transport(
    plan_or_workspace: SendPlan | Workspace,
    *,
    smtp_url: str | None = None,
    password: str | None = None,
    from_addr: str | None = None,
    passwords: Mapping[int, str] | None = None,
    options: SendOptions | None = None,
) -> Transport:
    """The relays of ``--smtp`` / ``[[smtp.relays]]`` / ``[smtp] url`` (one :class:`SmtpTransport`, or a
    :class:`RelayPool` of several), else the workspace's local outbox.

    ``options``: with a workspace, whose relays (``--smtp``, ``--smtp-profile``) to use.
    Each relay's password: ``passwords[index]`` (asked at a prompt), else the environment (see
    :func:`pressctl.config.smtp.relay_password`), else ``password`` (``PRESSCTL_SMTP_PASSWORD`` by default).
    """
    import os

    if isinstance(plan_or_workspace, SendPlan):
        workspace = plan_or_workspace.workspace
        from_addr = from_addr or plan_or_workspace.from_addr
        if smtp_url:
            specs = SendOptions(smtp_url=smtp_url).relays(workspace)
        else:
            specs = plan_or_workspace.relays or plan_or_workspace.options.relays(workspace)
    else:
        workspace = plan_or_workspace
        specs = (options or SendOptions(smtp_url=smtp_url)).relays(workspace)
    if not specs:
        return OutboxTransport(workspace.outbox_dir)
    transports = tuple(
        _smtp_transport(
            spec,
            workspace,
            from_addr=from_addr,
            password=(passwords or {}).get(spec.index) or relay_password(spec, os.environ) or password,
        )
        for spec in specs
    )
    return transports[0] if len(transports) == 1 else RelayPool(transports)


def _smtp_transport(spec: RelaySpec, workspace: Workspace, *, from_addr: str | None, password: str | None) -> SmtpTransport:
    settings = parse_smtp_url(spec.url, password=password, option=spec.option)
    sender = from_addr or workspace.sender.from_addr
    profile = spec.limits.profile.name
    if spec.auth != "xoauth2":
        return SmtpTransport(
            settings, sender=sender, local_hostname=spec.helo, profile=profile
        )
    tokens = TokenSource(  # one per relay: its connections share the token
        command=spec.oauth_token_command, withhold=workspace.secret_env_names, pass_env=workspace.smtp.pass_env
    )
    user = settings.username or ""

    async def authenticate(client: Any) -> None:
        await login_xoauth2(client, user, tokens)

    return SmtpTransport(
        settings,
        sender=sender,
        local_hostname=spec.helo,
        auth="xoauth2",
        authenticate=authenticate,
        tokens=tokens,
        profile=profile,
    )


def config_limits(workspace: Workspace) -> LimitOptions:
    """``[smtp]`` profile, concurrency, rate and daily_cap of pressctl.toml (checked when it was loaded)."""
    return _smtp_limits(workspace.smtp)


def relay_of(transport: Transport) -> str | None:
    """The relay account a daily cap is counted under (scheme, host, port, user); None for the outbox and
    for several relays (each row then records its own)."""
    return transport.account if isinstance(transport, SmtpTransport) else None


@dataclass(frozen=True)
class RelayCap:
    """One relay's rolling daily cap at the start of a run: its label and account, and how it fits."""

    label: str
    account: str
    plan: CapPlan

    @property
    def room(self) -> int:
        """Hand-overs it may take now."""
        return max(0, self.plan.cap - self.plan.used)

    def describe(self, zone: Any) -> str:
        """``relay 2 (smtp://...): today 8,900 of 10,000 used: up to 1,100 now``; with a wait, when a slot frees."""
        p = self.plan
        line = f"{self.label}: today {p.used:,} of {p.cap:,} used in the last 24 h: up to {self.room:,} now"
        if not self.room and p.resume_at is not None:
            line += f"; room again after {format_local(p.resume_at, zone)}"
        return line


def relay_caps(plan: SendPlan, ledger: Ledger, *, wanted: int, at: dt.datetime | None = None) -> list[RelayCap]:
    """Each relay's rolling daily cap (relays without a cap left out), counted from the ledger's hand-overs
    to its account in the 24 hours before ``at``."""
    moment = at or system_clock()
    caps = []
    for spec in plan.relays:
        cap = spec.limits.daily_cap.value
        if cap:
            account = spec.account
            caps.append(RelayCap(spec.label, account, _account_cap(ledger, account, cap, moment, wanted)))
    return caps


def cap_plan(
    plan: SendPlan, ledger: Ledger, transport: Transport, *, wanted: int, at: dt.datetime | None = None
) -> CapPlan | None:
    """How ``wanted`` recipients fit the relay account's rolling daily cap at ``at`` (now), counting every
    hand-over to that account in the 24 hours before (all campaigns, scheduled jobs included); None when no
    cap applies (no cap, or the local outbox)."""
    relay = relay_of(transport)
    limits = plan.limits or plan.options.limits(plan.workspace)
    cap = limits.daily_cap.value
    if relay is None or not cap:
        return None
    return _account_cap(ledger, relay, cap, at or system_clock(), wanted)


def _account_cap(ledger: Ledger, account: str, cap: int, at: dt.datetime, wanted: int) -> CapPlan:
    """How ``wanted`` fit ``account``'s rolling daily ``cap`` at ``at``, from the ledger's hand-overs to it
    in the 24 hours before (every campaign and job)."""
    return _plan_cap(ledger.handovers(account, since=at - DAY), cap, at, wanted)


def cap_at_lift(
    workspace: Workspace, options: SendOptions, *, ledger_path: Path, at: dt.datetime, wanted: int
) -> tuple[str, CapPlan] | None:
    """``schedule``'s question: does a job of ``wanted`` recipients fit the relay account's daily cap at
    ``at``? Counts the hand-overs already in the ledger that will still be inside the 24 hours before ``at``.
    Returns (relay account, plan) when some would be left pending; None when all fit or no cap applies.
    With several relays: only when every one is capped and together they have too little room (the
    accounts joined, the plan their sum)."""
    specs = options.relays(workspace)
    capped = [(spec.account, spec.limits.daily_cap.value) for spec in specs if spec.limits.daily_cap.value]
    if not specs or len(capped) < len(specs) or not ledger_path.exists():
        return None
    with Ledger(ledger_path) as ledger:
        plans = [(account, _account_cap(ledger, account, cap, at, wanted)) for account, cap in capped]
    if len(plans) == 1:
        relay, plan = plans[0]
        return (relay, plan) if plan.pending else None
    room = sum(max(0, p.cap - p.used) for _, p in plans)
    if room >= wanted:
        return None
    resumes = [p.resume_at for _, p in plans if p.resume_at is not None]
    total = CapPlan(
        cap=sum(p.cap for _, p in plans),
        used=sum(p.used for _, p in plans),
        now=room,
        pending=wanted - room,
        resume_at=min(resumes) if resumes else None,
    )
    return ", ".join(account for account, _ in plans), total


# -- running ------------------------------------------------------------------------------------------------
def release_key(plan: SendPlan) -> str:
    """The lock name of a release: its workspace and slug (every campaign of it, any --where or --lang)."""
    return f"{plan.workspace.root.resolve()}::{plan.main.slug}"


def _busy(plan: SendPlan, holder: LockHolder) -> ReleaseBusy:
    follow = f"`pressctl report {holder.campaign_id}`" if holder.campaign_id else "`pressctl report`"
    return ReleaseBusy(
        f"release '{plan.main.slug}' is being sent by another pressctl: {holder.describe()}; nothing was sent",
        where=str(plan.release_path),
        hint=f"follow it with {follow}, or add --wait to send what is left once it ends",
    )


class ReleaseLock:
    """The ledger's lock on one release for one run, with a thread that renews its lease.

    ``kill -9`` leaves the row behind; the next run sees the holder's pid gone (same host) or its lease
    expired (another host) and takes over. The renewing thread uses its own connection to the file
    opened at the start, and sets ``lost`` (and ``stop``) if the lock stops being this run's.
    """

    def __init__(self, ledger: Ledger, key: str, *, purpose: str, lease_seconds: float = LOCK_LEASE) -> None:
        from pressctl.owners import current_owner

        self.ledger = ledger
        self.key = key
        self.purpose = purpose
        self.lease = lease_seconds
        self.owner = current_owner()
        self.lost = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None

    def acquire(
        self,
        *,
        wait: bool,
        stop: threading.Event | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
        busy: Callable[[LockHolder], PressctlError] | None = None,
        poll: float = 0.5,
    ) -> None:
        """Take the lock, or raise ``busy(holder)``; with ``wait``, poll until free (or ``stop`` is set)."""
        told = False
        while True:
            holder = self.ledger.acquire_release_lock(self.key, owner=self.owner, purpose=self.purpose, lease_seconds=self.lease)
            if holder is None:
                return
            if not wait:
                raise busy(holder) if busy else ReleaseBusy(f"the release is being sent by {holder.describe()}")
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            if stop is not None and stop.wait(poll):
                raise SendAborted(f"stopped while waiting for another sender of the release ({holder.describe()})")
            if stop is None:
                import time

                time.sleep(poll)

    def start(self, stop: threading.Event) -> None:
        self._stop = stop
        self._thread = threading.Thread(target=self._loop, name="release-lock", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import sqlite3

        try:
            conn = sqlite3.connect(self.ledger.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            every = min(self.lease / 6, 5.0)
            while not self._done.wait(every):
                try:
                    cur = conn.execute(
                        "UPDATE release_locks SET lease_until = ? WHERE release = ? AND owner = ?",
                        (self.ledger.clock().timestamp() + self.lease, self.key, self.owner),
                    )
                    if cur.rowcount != 1:
                        self.lost = True
                except sqlite3.Error:
                    continue  # busy or a full disk: the run's own writes will say so
                if self.lost and self._stop is not None:
                    self._stop.set()  # another process took the release over: stop after the messages in flight
                    return
        finally:
            conn.close()

    def release(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(10)
        import sqlite3

        with contextlib.suppress(sqlite3.Error, PressctlError):
            self.ledger.release_release_lock(self.key, owner=self.owner)


def _disk_error(exc: BaseException) -> bool:
    import errno
    import sqlite3

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code in (13,) or "disk is full" in str(exc)  # SQLITE_FULL
    return False


def _ledger_failure(exc: BaseException, ledger: Ledger) -> LedgerError:
    """A full disk or a ledger write that failed, as one line saying how far the run got."""
    n = ledger.handed_over
    done = f"{n} message(s) had been handed over" if n else "nothing had been handed over"
    if _disk_error(exc):
        what = f"the disk is full, so sending stopped cleanly ({done})"
    else:
        what = f"the ledger could not be written ({type(exc).__name__}: {exc}), so sending stopped ({done})"
    return LedgerError(
        what,
        where=str(ledger.path),
        hint="free some space, then run the same command again: it resumes and sends nobody twice"
        if _disk_error(exc)
        else "fix the ledger file's folder or permissions, then run the same command again to resume",
        handed_over=n,
    )


def run_send(
    plan: SendPlan,
    *,
    ledger: Ledger,
    transport: Transport,
    clock: Callable[[], dt.datetime] = system_clock,
    not_before: dt.datetime | None = None,
    progress: Callable[[DeliveryProgress], None] | None = None,
    stop: threading.Event | None = None,
    on_campaign: Callable[[Campaign, dict[str, int]], None] | None = None,
    wait: bool = False,
    on_wait: Callable[[LockHolder], None] | None = None,
    purpose: str = "send",
) -> SendResult:
    """Send (or resume) the plan's campaign. Blocking; runs its own event loop.

    Every hand-over is recorded in ``ledger`` before and after; nothing is handed over before
    ``not_before`` (checked on ``clock()`` at each message). ``stop`` (set from a signal handler or
    another thread) ends the run after the messages in flight. ``on_campaign`` is told the campaign and
    its recipient totals just before sending starts. Raises TransportError when the server cannot be
    used at all (nothing is then marked sent).

    One process at a time sends a release: the run holds the release's lock in the ledger. If another
    live process holds it, ReleaseBusy (exit 1) names it; with ``wait`` the run waits for it to end
    (``on_wait`` is told once) and then sends whatever is left. A full disk or a ledger deleted under
    the run raises LedgerError saying how many messages were handed over.
    """
    import sqlite3

    stop = stop or threading.Event()
    lock = ReleaseLock(ledger, release_key(plan), purpose=purpose)
    try:
        lock.acquire(wait=wait, stop=stop, on_wait=on_wait, busy=lambda holder: _busy(plan, holder))
    except (sqlite3.Error, OSError) as exc:
        raise _ledger_failure(exc, ledger) from None
    lock.start(stop)
    try:
        result = _run_locked(
            plan, ledger=ledger, transport=transport, clock=clock, not_before=not_before, progress=progress,
            stop=stop, on_campaign=on_campaign, lock=lock,
        )
        ledger.check_file()  # deleted during the last messages: say so rather than "all sent"
    except (sqlite3.Error, OSError) as exc:
        if isinstance(exc, OSError) and not _disk_error(exc):
            raise
        raise _ledger_failure(exc, ledger) from None
    finally:
        lock.release()
    if lock.lost:
        result.run.stopped = result.run.stopped or (
            "another process took the release over (this run had paused longer than its lease); "
            "run the same command again to see what is left"
        )
    return result


def _run_locked(
    plan: SendPlan,
    *,
    ledger: Ledger,
    transport: Transport,
    clock: Callable[[], dt.datetime],
    not_before: dt.datetime | None,
    progress: Callable[[DeliveryProgress], None] | None,
    stop: threading.Event,
    on_campaign: Callable[[Campaign, dict[str, int]], None] | None,
    lock: ReleaseLock,
) -> SendResult:
    from pressctl.contacts.load import append_suppression

    campaign, created, skipped = open_campaign(plan, ledger)
    ledger.set_lock_campaign(lock.key, owner=lock.owner, campaign_id=campaign.id)
    ledger.reset_in_flight(campaign.id)  # we hold the lock: a row still 'sending' was in flight at a crash
    ledger.retry_transient_failures(campaign.id)
    retried = 0
    if plan.options.retry_failed:  # a bounce is no failure to retry: its address is suppressed (the proof)
        retried = ledger.retry_failed(campaign.id, keep={c.key for c in plan.contacts.suppressed})
    todo = ledger.count_todo(campaign.id)
    relay = relay_of(transport)
    ledger.set_campaign_relay(campaign.id, relay)  # from now on each hand-over counts under it
    moment = max(clock(), not_before or clock())
    lanes, cap, caps = _lanes(plan, ledger, transport, todo=todo, at=moment)
    allowed = todo if cap is None else cap.now
    if caps and len(caps) == len(lanes):  # every relay capped: no more than they all have room for
        allowed = min(todo, sum(c.room for c in caps))
    if on_campaign is not None:
        on_campaign(campaign, {"todo": todo, **ledger.totals(campaign.id)})
    run = DeliveryResult()
    if todo and allowed:
        # Messages in DATA form straight from the builder when the transport sends them as they are:
        # the shared parts (PDF, images) are then prepared once, not ~1 ms of byte scans per message.
        factory = plan.factory(campaign.token, wire=bool(getattr(transport, "takes_wire_data", False)))
        # Every selected contact has a row; those without a final status are to do. The final ones are
        # few in a fresh campaign (a set of 100,000 keys to do would cost ~12 MB). A generator: the engine
        # reads it as its buffer drains, so jobs and messages are never all in memory.
        done = ledger.done_keys(campaign.id)
        unknown_at = ledger.unknown_relays(campaign.id) if len(lanes) > 1 else {}
        # Internal copies first: they go when the release goes out. Each is built under its own key (so its
        # own Message-ID per language); a journalist's key is their address, as always.
        deliveries: Iterable[Delivery[tuple[str, Contact]]] = itertools.chain(
            _copy_deliveries(plan, ledger, campaign.id, unknown_at),
            (
                Delivery(c.key, (c.key, c), unknown_at.get(c.key))
                for c in plan.contacts.selected
                if c.key not in done
            ),
        )
        if allowed < todo:  # the daily cap: the first ones now, the rest stay pending for a later run
            deliveries = itertools.islice(deliveries, allowed)
        suppression = plan.workspace.suppression_path

        def bounce(address: str, outcome: Outcome) -> None:
            # A hard "no such user": never mail it again, from any campaign. Recorded in the ledger too,
            # so an edit of the CSV that drops it cannot bring it back silently.
            reason = f"bounced: {outcome.describe()}"
            ledger.add_suppression(address, reason=reason, origin="bounce")
            append_suppression(suppression, address, reason)

        def build(payload: tuple[str, Contact]) -> OutgoingMessage:
            return factory.build(payload[1], key=payload[0])

        ledger.mark_started(campaign.id)
        run = asyncio.run(
            _deliver_with_stop(
                deliveries,
                build=build,
                lanes=lanes,
                ledger=ledger,
                campaign_id=campaign.id,
                options=plan.delivery_options(),
                clock=clock,
                gate=HandoverGate.for_send(
                    plan.main.embargo, advance_copy=plan.embargoed, not_before=not_before, show=_show(plan.main)
                ),
                on_bounce=bounce,
                progress=progress,
                stop=stop,
            )
        )
    totals = ledger.totals(campaign.id)
    if run.cap_reached is not None and cap is not None and relay is not None:
        # Another send on the account took the room this run counted on: the cap as it stands now.
        handed = sum(lane.handed_over for lane in run.relays)
        used = len(ledger.handovers(relay, since=clock() - DAY)) - handed
        cap = CapPlan(cap.cap, max(0, used), handed, recipients_left(totals), run.cap_reached)
    result = SendResult(
        campaign=campaign, totals=totals, run=run, new_campaign=created, skipped=skipped, cap=cap, caps=caps,
        advance=ledger.advance_readers(campaign.id).get("sent", 0), copies=ledger.copies(campaign.id),
        retried=retried, final_failures=_final_failures(plan, ledger, campaign.id, totals, run),
    )
    if result.left == 0:
        ledger.mark_finished(campaign.id)
    return result


def _final_failures(plan: SendPlan, ledger: Ledger, campaign_id: int, totals: Mapping[str, int], run: DeliveryResult) -> int:
    """Rows failed for good whose address is not suppressed (a bounce is): ``--retry-failed`` would try them."""
    if not totals.get("failed"):
        return 0
    held = {c.key for c in plan.contacts.suppressed} | {a.lower() for a in run.bounced} | set(ledger.suppressions())
    return sum(1 for key in ledger.final_failures(campaign_id) if key not in held)


def _copy_deliveries(
    plan: SendPlan, ledger: Ledger, campaign_id: int, unknown_at: Mapping[str, str]
) -> list[Delivery[tuple[str, Contact]]]:
    """The internal copies still to send, each personalised as the first reader of its language."""
    from pressctl.send.copies import as_test_copy

    todo = [r for r in ledger.copies(campaign_id) if r.status in ("pending", "sending", "unknown")]
    models = copy_models(plan)
    found = []
    for row in todo:
        model = models.get(row.language or plan.languages[0])
        if model is not None:
            copy = as_test_copy(model, row.email, source=row.source)
            found.append(Delivery(row.key, (row.key, copy), unknown_at.get(row.key)))
    return found


def _lanes(
    plan: SendPlan, ledger: Ledger, transport: Transport, *, todo: int, at: dt.datetime
) -> tuple[list[Lane], CapPlan | None, list[RelayCap]]:
    """The engine's lanes (one per relay, each with its connections, rate and daily budget), the one
    relay's cap plan (one relay, as before) or each relay's cap (several)."""
    if isinstance(transport, RelayPool):
        specs = plan.relays if len(plan.relays) == len(transport.relays) else ()
        caps = relay_caps(plan, ledger, wanted=todo, at=at) if specs else []
        room = {c.account: c.room for c in caps}
        lanes = []
        for n, relay in enumerate(transport.relays):
            spec = specs[n] if specs else None
            lanes.append(
                Lane(
                    relay,
                    options=plan.relay_options(spec) if spec else plan.delivery_options(),
                    name=relay.account,
                    budget=room.get(relay.account),
                    label=spec.label if spec else relay.account,
                    cap=(spec.limits.daily_cap.value or None) if spec else None,
                )
            )
        return lanes, None, caps
    cap = cap_plan(plan, ledger, transport, wanted=todo, at=at)
    name = relay_of(transport)
    lane = Lane(
        transport,
        options=plan.delivery_options(),
        name=name,
        budget=cap.now if cap is not None else None,
        label=name or transport.description,
        cap=cap.cap if cap is not None else None,
    )
    return [lane], cap, []


async def _deliver_with_stop(
    deliveries: Iterable[Delivery[Any]], *, stop: threading.Event | None, **kwargs: Any
) -> DeliveryResult:
    """Bridge a thread-safe stop flag (signal handler, scheduler thread) to the engine's asyncio event."""
    event = asyncio.Event()

    async def watch() -> None:
        while stop is not None and not stop.is_set():
            await asyncio.sleep(0.05)
        event.set()

    watcher = asyncio.create_task(watch()) if stop is not None else None
    try:
        return await deliver(deliveries, stop=event, **kwargs)
    finally:
        if watcher is not None:
            watcher.cancel()


# -- the scheduler's engine ---------------------------------------------------------------------------------
class LedgerCampaignSender:
    """:class:`pressctl.send.sender.CampaignSender` on top of :func:`plan_send` / :func:`run_send` (jobs use the
    ledger too)."""

    def __init__(
        self,
        *,
        ledger_path: Path | None = None,
        clock: Callable[[], dt.datetime] = system_clock,
        site_links: Callable[[Workspace, Path, bool], SiteLinks | None] | None = None,
    ) -> None:
        self.ledger_path = ledger_path  # the jobs' ledger; a job's own --db wins
        self.clock = clock
        # site_links(workspace, release, require) -> the newsroom links: not required when scheduling (the job publishes the page
        # at the lift), required when sending (the page must be there by then).
        self.site_links = site_links
        # What the last check found, for `pressctl schedule` to show: the languages line and warnings.
        self.checked_languages = ""
        self.checked_warnings: list[str] = []
        self.checked_limits: list[str] = []  # connections, rate, daily cap, each with where it came from
        self.checked_recipients = ""  # "40: 36 + 4 who had the advance copy", read from the ledger now
        self.checked_notes: list[str] = []  # who is skipped and why; the internal copies

    def check(
        self, *, release: Path, contacts: Sequence[Path], workspace: Workspace, options: Mapping[str, Any]
    ) -> int:
        """Plan without sending (the job's times are checked by the scheduler); the recipient count."""
        plan = plan_send(
            release,
            contacts,
            workspace=workspace,
            options=SendOptions.from_mapping(options),
            check_embargo=False,
            site_links=self.site_links(workspace, release, False) if self.site_links else None,
        )
        plan.factory("check-" + plan.fingerprint)  # a bad From or Reply-To fails now, not at the lift
        self.checked_languages = plan.contacts.languages_line()
        if len(plan.relays) > 1:  # one line per relay: its account, then its limits
            self.checked_warnings = plan.warnings + [w for spec in plan.relays for w in spec.limits.warnings]
            self.checked_limits = [f"{spec.label}: {'; '.join(spec.limits.lines())}" for spec in plan.relays]
        else:
            self.checked_warnings = plan.warnings + list(plan.limits.warnings if plan.limits else ())
            self.checked_limits = plan.limits.lines() if plan.limits else []
        if plan.relays:
            make_transport(plan)  # a bad URL fails now, not at the lift
        self._check_audience(plan)
        return len(plan.contacts.selected)

    def _check_audience(self, plan: SendPlan) -> None:
        """Who the job would reach if it went now (the ledger as it is): advance readers, skips, copies."""
        from pressctl.send.audience import audience

        path = Path(plan.options.db) if plan.options.db else (self.ledger_path or plan.ledger_path)
        if path.exists():
            with Ledger(path) as ledger:
                who = audience(plan, ledger)
        else:
            who = audience(plan, None)
        self.checked_recipients = who.recipients_line
        self.checked_notes = [f"{n} skipped: {why}" for why, n in who.skipped_reasons().items()]
        for address, language, state in who.copies:
            self.checked_notes.append(
                f"internal copy {address} ({language}): "
                + ("on a suppression list, not sent" if state == "suppressed" else "when the job sends, before the journalists")
            )

    def send(
        self,
        *,
        release: Path,
        contacts: Sequence[Path],
        workspace: Workspace,
        options: Mapping[str, Any],
        not_before: dt.datetime | None,
        stop: threading.Event,
    ) -> SendOutcome:
        plan = plan_send(
            release,
            contacts,
            workspace=workspace,
            options=SendOptions.from_mapping(options),
            now=self.clock(),
            not_before=not_before,
            site_links=self.site_links(workspace, release, True) if self.site_links else None,
        )
        path = Path(plan.options.db) if plan.options.db else (self.ledger_path or plan.ledger_path)
        transport = make_transport(plan)
        with Ledger(path, clock=self.clock) as ledger:  # hand-overs counted for the cap on the same clock
            # A release being sent by hand now: wait for that run to end (the job keeps its lease),
            # then send whoever it left. The job is not failed for it.
            result = run_send(
                plan, ledger=ledger, transport=transport, clock=self.clock,
                not_before=not_before, stop=stop, wait=True, purpose="pressctl dispatch",
            )
        if result.run.resume_after is not None and result.left:
            # "Stop for now" (a daily or account quota): those left wait, the job is held until then. The
            # engine's advice to re-run the command is for `send`; the job resumes by itself.
            reason = (result.run.stopped or "the relay says stop for now").split(". Run the same command", 1)[0]
            return SendOutcome(
                summary=result.line(), complete=False, campaign=str(result.campaign.id),
                resume_at=result.run.resume_after, held_reason=reason, pending=result.left,
            )
        if result.run.stopped:
            raise SendAborted(result.run.stopped)
        if result.run.interrupted and result.left:
            raise SendAborted(f"stopped with {result.left} recipient(s) left; {result.line()}")
        cap = result.cap
        if cap is not None and cap.pending and cap.resume_at is not None and result.left:
            relay = relay_of(transport) or "the relay"
            sent = f"{cap.now:,} went now" if cap.now else "nobody could go now"
            return SendOutcome(
                summary=result.line(), complete=False, campaign=str(result.campaign.id), resume_at=cap.resume_at,
                held_reason=f"the daily cap of {cap.cap:,} for {relay} is reached ({cap.used + cap.now:,} of "
                f"{cap.cap:,} in the last 24 h): {sent}, {result.left:,} wait for the cap",
                pending=result.left,
            )
        return SendOutcome(summary=result.line(), complete=result.complete, campaign=str(result.campaign.id))
