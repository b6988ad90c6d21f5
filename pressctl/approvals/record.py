"""``pressctl approve`` and ``pressctl approvals``: record who approved the version a release renders to now
(refusing one with errors, keeping the warnings it was approved with), and list the approvals."""

from __future__ import annotations

import datetime as dt
import getpass
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.approvals.versions import Version, version_of
from pressctl.children import child_environment, run_child
from pressctl.config import Workspace
from pressctl.controls import unsafe_in_text
from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger.approvals import ApprovalRecord
from pressctl.ledger.stores import LedgerName, exists
from pressctl.release.load import Release, load_release_set
from pressctl.render.files import release_warnings

__all__ = ["Approved", "approvals_of", "approve_release", "approver_name", "list_approvals", "note_use"]

MAX_NAME = 120
MAX_NOTE = 2000


@dataclass(frozen=True)
class Approved:
    """What ``approve`` recorded, and whether that version had been approved by this person before."""

    record: ApprovalRecord
    releases: tuple[Release, ...]
    version: Version
    again: bool  # the same person had approved the same version already


def approver_name(given: str | None, *, cwd: Path, environ: Mapping[str, str]) -> str:
    """Who approves: ``--as``, else git's ``user.name`` (as the workspace's git sees it), else the login name."""
    if given is not None:
        name = " ".join(given.split())
        if not name or unsafe_in_text(name) or len(name) > MAX_NAME:
            raise InputError(
                f"--as {given!r} is not a name", hint=f'give a name of 1 to {MAX_NAME} printable characters, e.g. --as "Amy Chan"'
            )
        return name
    if shutil.which("git"):
        try:
            done = run_child("git config user.name", timeout=5, env=child_environment(environ), cwd=cwd)
        except OSError:
            done = None
        if done is not None and done.returncode == 0 and not done.timed_out:
            name = " ".join(done.stdout.decode("utf-8", "replace").split())
            if name and not unsafe_in_text(name) and len(name) <= MAX_NAME:
                return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise InputError(
            "who is approving is not known (no git user.name, no login name)", hint='say it with --as "Your Name"'
        ) from None


def approve_release(
    path: Path,
    *,
    workspace: Workspace,
    approver: str,
    note: str = "",
    ledger_path: LedgerName | None = None,
    clock: Callable[[], dt.datetime],
) -> Approved:
    """Render the release set in every language (an error refuses the approval) and record its version."""
    if len(note) > MAX_NOTE or bool(unsafe_in_text(note)):
        raise InputError(f"--note is not printable text of at most {MAX_NOTE} characters", hint="shorten the note")
    workflow = workspace.workflow
    if workflow.approvers and approver.casefold() not in {a.casefold() for a in workflow.approvers}:
        raise InputError(
            f"{approver} is not among the approvers in [workflow] approvers ({', '.join(workflow.approvers)})",
            where=str(workspace.config_path or workspace.root),
            hint="approve as one of them with --as, or add the name to approvers",
        )
    releases = load_release_set(Path(path), workspace)
    version = version_of(releases, workspace)
    main = releases[0]
    with Ledger(ledger_path or workspace.ledger_path, clock=clock) as ledger:
        again = any(
            r.approver.casefold() == approver.casefold() and dict(r.digests) == version.digests and r.assets == version.assets
            for r in ledger.approvals.of_release(main.slug)
        )
        record = ledger.approvals.add(
            slug=main.slug,
            release_path=str(main.path),
            title=main.title,
            approver=approver,
            digests=version.digests,
            assets=version.assets,
            note=note.strip(),
            warnings=release_warnings(releases, clock()),
        )
    return Approved(record=record, releases=tuple(releases), version=version, again=again)


def list_approvals(workspace: Workspace, *, slug: str | None = None, ledger_path: LedgerName | None = None) -> list[ApprovalRecord]:
    """The approvals in the ledger (of one release when ``slug`` is given), newest first; none without a ledger."""
    path = ledger_path or workspace.ledger_path
    if not exists(path):
        return []
    with Ledger(path) as ledger:
        return ledger.approvals.of_release(slug) if slug else ledger.approvals.all()


def approvals_of(path: Path | None, workspace: Workspace, *, ledger_path: LedgerName | None = None) -> list[ApprovalRecord]:
    """``pressctl approvals [RELEASE]``: the release's approvals (every release's without one), newest first."""
    slug = load_release_set(Path(path), workspace)[0].slug if path is not None else None
    return list_approvals(workspace, slug=slug, ledger_path=ledger_path)


def note_use(
    ledger_path: LedgerName, approvals: Sequence[ApprovalRecord], *, campaign_id: int | None = None, fingerprint: str = ""
) -> None:
    """Record the campaign (by id, or the latest of ``fingerprint``) as gone out under ``approvals``; nothing
    when there is none or no such campaign (a send declined before it began)."""
    if not approvals or not exists(ledger_path):
        return
    with Ledger(ledger_path) as ledger:
        if campaign_id is None:
            campaign = ledger.campaigns.find(fingerprint) if fingerprint else None
            campaign_id = campaign.id if campaign is not None else None
        if campaign_id is not None:
            ledger.approvals.link(campaign_id, [a.id for a in approvals])
