"""Copies that are not a journalist's: test copies (``--test-to``) and copies to one's own people
(``[sender] internal_copies``, ``--copy-to``).

Both are one message per language version, personalised as the first journalist of that language (so the
reader sees what a journalist sees), but everything that identifies a recipient is the copy's own address:
To (without a display name), the ``email`` field, List-Unsubscribe and every unsubscribe link (its token is
the copy address's). Each is a ledger row of its own (``recipients.role`` ``test`` or ``internal``, key
``internal:LANG:address``), so it has its own Message-ID per language and is never counted with the
journalists. Suppression holds for them too: a suppressed copy address is recorded ``suppressed``, said
aloud, and never sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.addresses import address_key
from pressctl.ledger.records import RecipientRow
from pressctl.model import Contact
from pressctl.release.merge import TOKEN_FIELD

if TYPE_CHECKING:
    from pressctl.send.plan import SendPlan

__all__ = [
    "as_test_copy",
    "copy_addresses",
    "copy_key",
    "copy_models",
    "copy_rows",
    "option_address",
    "suppressed_among",
]


def option_address(raw: str, *, option: str) -> str:
    """One ``--test-to`` / ``--copy-to`` address, checked like a contact's; one clear line if it is not one."""
    from pressctl.addresses import AddressError
    from pressctl.contacts.clean import clean_address
    from pressctl.errors import InputError

    try:
        return clean_address(raw)
    except AddressError as exc:
        raise InputError(
            f"{option} {raw!r} is not a usable address ({exc})",
            hint=f"give one address per {option}, e.g. {option} me@hvsp.example",
        ) from None


def as_test_copy(model: Contact, address: str, *, source: str = "--test-to") -> Contact:
    """``model``'s merge fields, addressed to ``address``: no name, address or token of ``model`` is left."""
    fields = {k: v for k, v in model.fields.items() if k != TOKEN_FIELD}
    fields["email"] = address
    # address=None: the model's checked address is not this one; the message builder checks the copy's.
    return dataclasses.replace(model, email=address, address=None, name="", fields=fields, source=source)


def copy_key(role: str, language: str, address: str) -> str:
    """The ledger key of a copy: one row (and one Message-ID) per role, language and address."""
    return f"{role}:{language}:{address_key(address)}"


def copy_models(plan: SendPlan, contacts: Iterable[Contact] | None = None) -> dict[str, Contact]:
    """The first contact of each language version (of ``contacts``, default the selected ones), in the
    release's language order: what a copy of that language is personalised as."""
    main = plan.languages[0]
    found: dict[str, Contact] = {}
    for contact in plan.contacts.selected if contacts is None else contacts:
        found.setdefault(contact.language or main, contact)
    return {lang: found[lang] for lang in plan.languages if lang in found}


def copy_addresses(plan: SendPlan) -> list[tuple[str, str]]:
    """(address, where it came from) of every internal copy: ``[sender] internal_copies``, then ``--copy-to``;
    each address once."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for addresses, source in (
        (plan.workspace.sender.internal_copies, "[sender] internal_copies"),
        (plan.options.copy_to, "--copy-to"),
    ):
        for address in addresses:
            if address_key(address) not in seen:
                seen.add(address_key(address))
                found.append((address, source))
    return found


def suppressed_among(plan: SendPlan, addresses: Sequence[str]) -> set[str]:
    """Which of ``addresses`` a suppression list (the workspace's, ``--suppress``, the ledger's) holds."""
    from pressctl.contacts.suppression import read_all

    if not addresses:
        return set()
    view = read_all(plan.workspace, extra=[Path(p) for p in plan.options.suppress], ledger_path=plan.ledger_path)
    return {a for a in addresses if view.holds(a)}


def copy_rows(
    plan: SendPlan, languages: Sequence[str], suppressed: Mapping[str, bool]
) -> list[RecipientRow]:
    """The internal copies' ledger rows: one per address and language that goes out (``suppressed``:
    address -> on a suppression list, then recorded ``suppressed`` and never sent)."""
    rows = []
    for address, source in copy_addresses(plan):
        for language in languages:
            held = suppressed.get(address, False)
            rows.append(
                RecipientRow(
                    key=copy_key("internal", language, address),
                    email=address,
                    status="suppressed" if held else "pending",
                    language=language,
                    source=source,
                    reply="on a suppression list: the internal copy is not sent" if held else "",
                    role="internal",
                )
            )
    return rows
