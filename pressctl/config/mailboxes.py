"""``[bounces]`` of ``pressctl.toml``: the mailboxes ``pressctl bounces`` reads, modelled and checked.

One mailbox, as before::

    [bounces]
    imap = "imaps://mail.hvsp.example/INBOX"     # or maildir = "mail/press", or mbox = "..."
    user = "press@hvsp.example"
    move_to = "Processed"

or several, read in one run (and one ``--watch``), each a Maildir, an mbox or an IMAP folder with its own
settings (``password_env``: the variable holding its password); ``user``, ``auth``, ``oauth_token_command``,
``move_to`` and ``password_env`` at the top are the defaults::

    [bounces]
    move_to = "Processed"
    mailboxes = [
      { name = "press", imap = "imaps://press%40hvsp.example@mail.hvsp.example/INBOX" },
      { name = "officer", imap = "imaps://mail.hvsp.example/INBOX", user = "k.ho@hvsp.example" },
      { maildir = "mail/bounces" },
    ]

(``[[bounces.mailboxes]]`` tables say the same.) Paths are relative to the workspace. A URL never holds a
password. Errors are :class:`ConfigError` lines naming the key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.config.keys import text
from pressctl.config.rules import ENV_NAME
from pressctl.controls import has_unsafe
from pressctl.errors import ConfigError

__all__ = ["BOUNCES_KEYS", "MAILBOX_KEYS", "Bounces", "Mailbox", "parse_bounces"]

_WHERE_KEYS = ("maildir", "mbox", "imap")
_SETTINGS = ("user", "auth", "oauth_token_command", "move_to", "password_env")
MAILBOX_KEYS = ("name", *_WHERE_KEYS, *_SETTINGS)
BOUNCES_KEYS = (*_WHERE_KEYS, *_SETTINGS, "mailboxes")


@dataclass(frozen=True)
class Mailbox:
    """One mailbox to read: exactly one of ``maildir``, ``mbox`` (absolute paths) and ``imap`` (a URL)."""

    maildir: Path | None = None
    mbox: Path | None = None
    imap: str = ""  # imaps://user@host/FOLDER (no password)
    user: str = ""  # the IMAP user, when the URL has none
    auth: str = ""  # password | xoauth2
    oauth_token_command: str = ""  # prints an XOAUTH2 access token when PRESSCTL_IMAP_OAUTH_TOKEN is unset
    move_to: str = ""  # IMAP/Maildir folder for handled messages
    password_env: str = ""  # the environment variable with this mailbox's password (else PRESSCTL_IMAP_PASSWORD)
    name: str = ""  # how output names it; default: the path or the URL

    @property
    def label(self) -> str:
        return self.name or str(self.maildir or self.mbox or self.imap)


@dataclass(frozen=True)
class Bounces:
    """``[bounces]``: its top-level mailbox (the single form) and ``mailboxes``: every mailbox to read, the
    list or the single form as one (none when the table names none)."""

    maildir: Path | None = None
    mbox: Path | None = None
    imap: str = ""
    user: str = ""
    auth: str = ""
    oauth_token_command: str = ""
    move_to: str = ""
    password_env: str = ""
    mailboxes: tuple[Mailbox, ...] = ()


def _text(table: dict[str, Any], key: str, where: str, section: str) -> str:
    return text(table, key, section, where).strip()


def _mailbox(values: dict[str, str], root: Path, where: str, section: str) -> Mailbox:
    given = [k for k in _WHERE_KEYS if values.get(k)]
    if len(given) > 1:
        raise ConfigError(
            f"[{section}] has both {given[0]} and {given[1]}", where=where, hint="keep one mailbox: maildir, mbox or imap"
        )
    if values.get("password_env") and not ENV_NAME.match(values["password_env"]):
        raise ConfigError(
            f"{section}.password_env {values['password_env'][:40]!r} is not an environment variable name",
            where=where,
            hint='name the variable that holds the password, e.g. password_env = "HVSP_DESK_IMAP_PASSWORD"',
        )
    user = values.get("user", "")
    if has_unsafe(user) or any(ord(c) < 32 or ord(c) == 127 for c in user):
        raise ConfigError(
            f"{section}.user contains a line break or control character",
            where=where,
            hint='write the user name as the mail server knows it, e.g. user = "press@hvsp.example"',
        )
    if values.get("auth", "") not in ("", "password", "xoauth2"):
        raise ConfigError(f"{section}.auth must be password or xoauth2, not {values['auth']!r}", where=where)
    imap = values.get("imap", "")
    netloc = imap.split("://", 1)[-1].split("/", 1)[0]
    if ":" in netloc.rpartition("@")[0]:  # user:password@host
        raise ConfigError(
            f"{section}.imap must not contain a password",
            where=where,
            hint="remove it and set PRESSCTL_IMAP_PASSWORD in the environment instead",
        )
    if imap and not imap.lower().startswith(("imap://", "imaps://")):
        raise ConfigError(
            f"{section}.imap must start with imaps:// or imap://", where=where, hint="e.g. imaps://mail.hvsp.example/INBOX"
        )
    return Mailbox(
        maildir=root / values["maildir"] if values.get("maildir") else None,
        mbox=root / values["mbox"] if values.get("mbox") else None,
        imap=imap,
        **{k: values.get(k, "") for k in (*_SETTINGS, "name")},
    )


def _entries(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            "bounces.mailboxes must be a list of tables",
            where=where,
            hint='write e.g. mailboxes = [{ imap = "imaps://mail.hvsp.example/INBOX" }, { maildir = "mail/press" }]',
        )
    return list(value)


def parse_bounces(table: dict[str, Any], root: Path, where: str) -> Bounces:
    """``[bounces]`` checked: one mailbox or a list of them; paths relative to the workspace ``root``."""
    top = {key: _text(table, key, where, "bounces") for key in (*_WHERE_KEYS, *_SETTINGS)}
    single = _mailbox(top, root, where, "bounces")
    entries = _entries(table["mailboxes"], where) if "mailboxes" in table else []
    if not entries:
        found = () if not (single.maildir or single.mbox or single.imap) else (single,)
        return Bounces(
            maildir=single.maildir, mbox=single.mbox, imap=single.imap, user=single.user, auth=single.auth,
            oauth_token_command=single.oauth_token_command, move_to=single.move_to,
            password_env=single.password_env, mailboxes=found,
        )
    given = [k for k in _WHERE_KEYS if top[k]]
    if given:
        raise ConfigError(
            f"[bounces] has both {given[0]} and mailboxes",
            where=where,
            hint=f"move {given[0]} into the mailboxes list, e.g. mailboxes = [{{ {given[0]} = ... }}, ...]",
        )
    boxes: list[Mailbox] = []
    for n, entry in enumerate(entries, start=1):
        section = f"bounces.mailboxes[{n}]"
        for key in entry:
            if key not in MAILBOX_KEYS:
                close = difflib.get_close_matches(str(key), MAILBOX_KEYS, n=1)
                raise ConfigError(
                    f"unknown key {section}.{key}",
                    where=where,
                    hint=f"did you mean {close[0]!r}?" if close else "known here: " + ", ".join(MAILBOX_KEYS),
                )
        values = {key: _text(entry, key, where, section) for key in MAILBOX_KEYS}
        if values["mbox"] and values["move_to"]:
            raise ConfigError(f"{section}: move_to works with IMAP and Maildir, not with an mbox file", where=where)
        for key in _SETTINGS:  # the top-level settings are each mailbox's defaults (an mbox is never moved from)
            if not (key == "move_to" and values["mbox"]):
                values[key] = values[key] or top[key]
        box = _mailbox(values, root, where, section)
        if not (box.maildir or box.mbox or box.imap):
            raise ConfigError(f"{section} names no mailbox", where=where, hint="give it maildir, mbox or imap")
        same = next((b for b in boxes if (b.maildir, b.mbox, b.imap, b.user) == (box.maildir, box.mbox, box.imap, box.user)), None)
        if same is not None:
            raise ConfigError(f"{section} is the same mailbox as {same.label}", where=where, hint="list each mailbox once")
        if box.name and any(b.name == box.name for b in boxes):
            raise ConfigError(f"{section}: another mailbox is named {box.name!r}", where=where, hint="give each its own name")
        boxes.append(box)
    return Bounces(
        user=top["user"], auth=top["auth"], oauth_token_command=top["oauth_token_command"], move_to=top["move_to"],
        password_env=top["password_env"], mailboxes=tuple(boxes),
    )
