"""``[workflow]`` of ``pressctl.toml``: whether a release needs an approval before it goes out, who may give
one and how many are needed. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pressctl.config.keys import table, text
from pressctl.errors import ConfigError

__all__ = ["APPROVAL_MODES", "WORKFLOW_KEYS", "Workflow", "parse_workflow"]

APPROVAL_MODES = ("off", "required")
WORKFLOW_KEYS = ("approval", "approvers", "approvals_needed")


@dataclass(frozen=True)
class Workflow:
    """``approval = "required"``: ``send``, ``schedule``, ``publish`` and ``dispatch`` go only with an approval
    of exactly the release as it renders now. ``approvers`` (empty: anyone) limits whose approval counts;
    ``approvals_needed`` how many different people must approve the same version."""

    approval: str = "off"
    approvers: tuple[str, ...] = ()
    approvals_needed: int = 1

    @property
    def required(self) -> bool:
        return self.approval == "required"


def parse_workflow(data: dict[str, Any], where: str) -> Workflow:
    """``[workflow]`` (the defaults when absent): each value checked, with what to write instead."""
    values = table(data, "workflow", where)
    approval = text(values, "approval", "workflow", where, "off").strip().lower()
    if approval not in APPROVAL_MODES:
        raise ConfigError(
            f"workflow.approval {approval!r} is not one of {', '.join(APPROVAL_MODES)}",
            where=where,
            hint='write approval = "required" (or "off")',
        )
    approvers = values.get("approvers", [])
    if not isinstance(approvers, list) or not all(isinstance(a, str) and a.strip() for a in approvers):
        raise ConfigError(
            "workflow.approvers must be a list of names",
            where=where,
            hint='write e.g. approvers = ["Amy Chan", "legal@hvsp.example"]',
        )
    needed = values.get("approvals_needed", 1)
    if isinstance(needed, bool) or not isinstance(needed, int) or not 1 <= needed <= 20:
        raise ConfigError(
            f"workflow.approvals_needed must be a whole number from 1 to 20, not {needed!r}",
            where=where,
            hint="write e.g. approvals_needed = 2",
        )
    if approvers and needed > len(approvers):
        raise ConfigError(
            f"workflow.approvals_needed is {needed} but only {len(approvers)} approver(s) are listed",
            where=where,
            hint="list more approvers or lower approvals_needed",
        )
    return Workflow(
        approval=approval, approvers=tuple(a.strip() for a in approvers), approvals_needed=needed
    )
