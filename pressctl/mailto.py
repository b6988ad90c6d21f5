"""The unsubscribe ``mailto:`` URL with the reader's token: one format for the ``List-Unsubscribe`` header
(:mod:`pressctl.send.messages`) and the email's footer link (:mod:`pressctl.render.email`); ``pressctl bounces``
finds the token again in the subject or the ``+`` address (:func:`pressctl.contacts.unsubscribe.find_tokens`).
A leaf: the token itself is :func:`pressctl.contacts.unsubscribe.token_for`, or a merge field standing for it.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["mailto_url", "mailto_with_token"]


def mailto_url(value: str) -> str:
    """``[sender] unsubscribe_mailto`` as a URL: ``unsubscribe@hvsp.example`` -> ``mailto:unsubscribe@hvsp.example``."""
    text = value.strip()
    return text if not text or text.lower().startswith("mailto:") else "mailto:" + text


def mailto_with_token(mailto: str, token: str) -> str:
    """The ``List-Unsubscribe`` mailto URL for one reader: ``{token}`` filled where the URL has it, else the
    token added to the subject (``?subject=unsubscribe%20TOKEN``, or after a subject the URL already has)."""
    if not token:
        return mailto
    if "{token}" in mailto:
        return mailto.replace("{token}", token)
    base, sep, query = mailto.partition("?")
    params = query.split("&") if sep and query else []
    for n, param in enumerate(params):
        if param.lower().startswith("subject="):
            params[n] = f"{param}%20{token}"
            break
    else:
        params.append("subject=" + quote(f"unsubscribe {token}"))
    return base + "?" + "&".join(params)
