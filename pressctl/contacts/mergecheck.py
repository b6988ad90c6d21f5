"""The one merge-field check: which contacts lack a field (without a fallback) the version they get uses.

Shared by ``pressctl contacts check --release`` and ``pressctl send``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pressctl.languages.routing import route_language
from pressctl.model import Contact, Rendered
from pressctl.release.merge import tokens_in

if TYPE_CHECKING:
    from pressctl.release.merge import MergePlan

__all__ = ["MissingField", "check_merge_fields"]


@dataclass(frozen=True)
class MissingField:
    """A merge field without a fallback that some contacts have no value for."""

    field: str
    contacts: tuple[Contact, ...]



def check_merge_fields(
    contacts: Sequence[Contact],
    plan: MergePlan,
    renders: Mapping[str, Rendered],
) -> list[MissingField]:
    """Each merge field (without a fallback) that some contacts lack, with those contacts; sorted by field.

    The one merge-field check, shared by ``pressctl contacts check --release`` and ``pressctl send``: each
    contact is judged against the version it will receive (``contact.language``, as ``load_contacts``
    routed it; else ``pressctl.languages.route_language``), i.e. the merge fields in that version's subject,
    HTML and text. A field used only in the English text is not demanded from a reader of the Chinese one.
    ``renders`` maps each language to its rendered email, the release's own language first.
    """
    lacking: dict[str, list[Contact]] = {}
    if not plan.fields or not renders:
        return []
    used = {lang: tokens_in([r.subject, r.html, r.text]) for lang, r in renders.items()}
    versions = list(used)
    for contact in contacts:
        tokens = used[route_language(contact.language, versions, versions[0])]
        names = sorted(
            {
                name
                for f in plan.fields
                if not f.has_fallback and f.token in tokens
                for name in f.variables
                if not contact.fields.get(name)
            }
        )
        for name in names:
            lacking.setdefault(name, []).append(contact)
    return [MissingField(field=name, contacts=tuple(lacking[name])) for name in sorted(lacking)]
