"""Plan a send: release + contact lists + options -> a :class:`SendPlan`, a value the run takes.

``plan_send`` loads the release set and the lists, refuses an embargo that has not lifted (unless this is
an advance copy), renders each language once, checks merge fields and computes the campaign fingerprint.
Nothing is sent and nothing is written to the ledger: :func:`pressctl.send.run.run_send` does that with
the plan, and the CLI shows the plan's summary before it asks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.config.smtp import parse_smtp_url
from pressctl.digests import feed_file
from pressctl.embargo import check_send_now
from pressctl.errors import ContactsError, InputError
from pressctl.ledger.stores import ledger_name
from pressctl.model import EmailLinks, Rendered
from pressctl.relays.profiles import EffectiveLimits
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.send.delivery import DeliveryOptions
from pressctl.send.options import SendOptions
from pressctl.send.pdfs import cached_or_render
from pressctl.send.relayset import RelaySpec
from pressctl.send.transport import envelope_sender
from pressctl.times import format_local, format_offset
from pressctl.versions.gate import check_versions

if TYPE_CHECKING:
    from pressctl.contacts.outcome import ContactSet
    from pressctl.send.messages import MessageFactory

__all__ = ["SendPlan", "SiteLinks", "plan_send", "shown_in", "unsubscribe_warnings"]

# The emails' newsroom links for a release set and whether it is an advance copy (pressctl.site.links).
SiteLinks = Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]]


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
    def ledger_path(self) -> Path | str:
        """``--db`` (a file or a postgresql:// URL), else the workspace's (``[ledger] url`` or the default file)."""
        return ledger_name(self.options.db) if self.options.db else self.workspace.ledger_path

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


def shown_in(release: Release) -> Callable[[dt.datetime], str]:
    """How this release's times are shown in embargo messages: in its own zone."""
    zone = release.zone
    return lambda when: format_local(when, zone)



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
    preview: bool = False,
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
    ``preview`` (a dry run, ``smtp check``) and ``test`` show a draft version and versions that disagree
    as warnings; a send refuses them (``versions.gate``; differences pass with ``allow_differences``).
    """
    from pressctl.contacts.load import load_contacts
    from pressctl.contacts.mergecheck import check_merge_fields
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
            main.embargo, moment=moment, advance_copy=options.advance_copy, where=str(release_path), show=shown_in(main)
        )
    else:
        embargoed = options.advance_copy
    check_versions(releases, preview=preview or test, allow_differences=options.allow_differences)
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
        pending_pdfs = cached_or_render(releases, workspace, merge_plan, embargoed=embargoed)
    try:
        if not lists and not need_contacts:
            from pressctl.contacts.outcome import ContactSet

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
                ledger_path=ledger_name(options.db) if options.db else None,
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

