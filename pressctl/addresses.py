"""Email address syntax, checked the one way pressctl checks it (sender in ``pressctl.toml``, ``--from``,
every recipient just before its message is built). Pure.

``parseaddr`` and the ``email`` package accept things that are no address (FACTS.md): the checks here are ours.
"""

from __future__ import annotations

import re

__all__ = ["CONTROLS", "check_address"]

# Every C0/C1 control (CR, LF, NUL, TAB, NEL ...), line/paragraph separators, BOM, and lone surrogates
# (undecodable bytes smuggled through a lenient reader; they can't be encoded as UTF-8): none may reach a
# header, and in a body they would only break the encoding.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+)*"
)
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def check_address(addr: str) -> tuple[str, bool]:
    """``addr`` checked again (contact loading validated it): returns (address, needs SMTPUTF8) or raises ValueError."""
    if not addr or len(addr) > 254 or CONTROLS.search(addr) or _SPACES.search(addr):
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
