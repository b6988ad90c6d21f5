"""VERP return paths (``[sender] return_path``): a leaf both the send side (MAIL FROM) and bounce matching use."""

from __future__ import annotations

__all__ = ["verp_encode"]


def verp_encode(template: str, address: str) -> str:
    """``bounces+{local}={domain}@example.org`` with the recipient's parts filled in (the VERP return path)."""
    local, _, domain = address.rpartition("@")
    return template.replace("{local}", local).replace("{domain}", domain)
