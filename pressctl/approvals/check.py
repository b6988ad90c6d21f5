"""The one approval check: ``send``, ``schedule``, ``publish`` and ``dispatch`` (a job at its lift) each call
:func:`require_approval` from one place. With ``[workflow] approval = "required"`` a release goes only when
the version it renders to now was approved (by ``approvals_needed`` different approvers, from
``approvers`` when listed); otherwise one line says what changed since whose approval. A dry run and test
copies never ask.
"""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.approvals.versions import Version, changes, version_of
from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger.approvals import ApprovalRecord
from pressctl.ledger.stores import LedgerName, exists
from pressctl.present import local_time
from pressctl.release.load import Release

__all__ = ["NotApproved", "approval_state", "matching", "require_approval"]


class NotApproved(InputError):
    """The release as it renders now has no (or not enough) approval: nothing is sent (exit 2)."""


def matching(records: Sequence[ApprovalRecord], version: Version, workspace: Workspace) -> list[ApprovalRecord]:
    """The approvals of exactly ``version`` that count (by an allowed approver), one per approver, newest first."""
    allowed = {a.casefold() for a in workspace.workflow.approvers}
    seen: set[str] = set()
    found: list[ApprovalRecord] = []
    for record in records:
        who = record.approver.casefold()
        if dict(record.digests) != version.digests or record.assets != version.assets:
            continue
        if (allowed and who not in allowed) or who in seen:
            continue
        seen.add(who)
        found.append(record)
    return found


def require_approval(
    releases: Sequence[Release], workspace: Workspace, *, ledger_path: LedgerName, command: str
) -> list[ApprovalRecord]:
    """The approvals the release set goes out under; :class:`NotApproved` when it may not go.

    Without ``[workflow] approval = "required"``: nothing to check (nothing rendered). ``releases`` is the set
    as the command will send it (a job's private copy at its lift).
    """
    workflow = workspace.workflow
    if not workflow.required:
        return []
    main = releases[0]
    version = version_of(releases, workspace)
    records: list[ApprovalRecord] = []
    if exists(ledger_path):
        with Ledger(ledger_path) as ledger:
            records = ledger.approvals.of_release(main.slug)
    found = matching(records, version, workspace)
    if len(found) >= workflow.approvals_needed:
        return found
    where = str(main.path)
    shown = main.path.relative_to(workspace.root) if main.path.is_relative_to(workspace.root) else main.path
    again = f"pressctl approve {shown}"
    if found:
        names = ", ".join(r.approver for r in found)
        raise NotApproved(
            f"{command} refused: {len(found)} of {workflow.approvals_needed} approvals for this version ({names}); "
            "[workflow] approvals_needed asks for more",
            where=where,
            hint=f"another approver runs `{again}`",
        )
    if not records:
        raise NotApproved(
            f'{command} refused: the release is not approved ([workflow] approval = "required")',
            where=where,
            hint=f"see it with `pressctl preview`, then `{again}`; --dry-run and --test-to work meanwhile",
        )
    latest = records[0]
    what = changes(latest.digests, version.digests)
    if latest.assets != version.assets and not what:
        what = ["an attached file or photo"]
    when = local_time(latest.approved_at, workspace.zone)
    if not what:  # the same version, by someone whose approval does not count
        raise NotApproved(
            f"{command} refused: approved only by {latest.approver} ({when}), who is not among [workflow] approvers",
            where=where,
            hint=f"one of {', '.join(workflow.approvers)} runs `{again}`",
        )
    raise NotApproved(
        f"{command} refused: {'; '.join(what)} changed since {latest.approver} approved it ({when})",
        where=where,
        hint=f"review it (`pressctl preview`), then `{again}`",
    )


def approval_state(releases: Sequence[Release], workspace: Workspace, *, ledger_path: LedgerName) -> tuple[str, bool]:
    """The approval state in words, for the preview (``"approved by Amy Chan (2026-12-05 10:00 HKT)"``), and
    whether the release may go as it is (always true when approvals are not required)."""
    required = workspace.workflow.required
    if not exists(ledger_path):
        return ("not approved yet" + (" (required before it is sent)" if required else ""), not required)
    main = releases[0]
    with Ledger(ledger_path) as ledger:
        records = ledger.approvals.of_release(main.slug)
    version = version_of(releases, workspace)
    found = matching(records, version, workspace)
    if found:
        names = ", ".join(f"{r.approver} ({local_time(r.approved_at, workspace.zone)})" for r in found)
        enough = len(found) >= workspace.workflow.approvals_needed
        return (f"this version is approved by {names}", enough or not required)
    if not records:
        return ("not approved yet" + (" (required before it is sent)" if required else ""), not required)
    latest = records[0]
    what = changes(latest.digests, version.digests) or ["an attached file or photo"]
    when = local_time(latest.approved_at, workspace.zone)
    return (f"{'; '.join(what)} changed since {latest.approver} approved it ({when})", not required)
