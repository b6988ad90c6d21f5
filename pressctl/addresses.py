"""Email address syntax, checked the one way pressctl checks it (sender in ``pressctl.toml``, ``--from``,
every recipient just before its message is built). Pure. An address holding any character of
``controls.UNSAFE`` (a line break, a control, a bidi or zero-width character) is refused.

``parseaddr`` and the ``email`` package accept things that are no address (FACTS.md): the checks here are ours.
"""

from __future__ import annotations

import re

from pressctl.controls import has_unsafe

__all__ = ["check_address"]

_SPACES = re.compile(r"\s+")
_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+)*"
)
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def check_address(addr: str) -> tuple[str, bool]:
    """``addr`` checked again (contact loading validated it): returns (address, needs SMTPUTF8) or raises ValueError."""
    if not addr or len(addr) > 254 or has_unsafe(addr) or _SPACES.search(addr):
        raise ValueError("contains spaces or control characters")
    local, sep, domain = addr.rpartition("@")
    if not sep or not local or not _LOCAL.fullmatch(local):
        raise ValueError("the part before @ is not a plain address")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("the domain is not a valid internationalised name") from None
    if not _DOMAIN.fullmatch(domain):
        raise ValueError("the domain is not valid")
    return f"{local}@{domain}", not local.isascii()
