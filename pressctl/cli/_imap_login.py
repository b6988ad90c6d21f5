"""How ``pressctl bounces`` logs in to an IMAP mailbox: its URL with the mailbox's ``user`` and ``auth``, and
its secret from the environment, the sending relay of the same account, a token command or a prompt.

In the CLI because it joins two siblings that may not import each other (``bounces`` and ``send``'s relay
settings). The secret never prints: errors name host and user only.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

import typer

from pressctl.errors import InputError, PressctlError

if TYPE_CHECKING:
    from pressctl.bounces.imapurl import ImapSettings
    from pressctl.config import Workspace
    from pressctl.config.mailboxes import Mailbox
    from pressctl.send.relayset import RelaySpec

__all__ = ["imap_settings"]


def imap_settings(url: str, workspace: Workspace, box: Mailbox | None = None) -> ImapSettings:
    """The URL with the mailbox's ``user``/``auth`` filled in (``box``, default: ``[bounces]`` itself), and
    its secret (never printed). The password: the mailbox's ``password_env`` variable, else
    ``PRESSCTL_IMAP_PASSWORD``, else the password of the sending relay of the same account, else a prompt."""
    from pressctl.bounces.imapurl import OAUTH_TOKEN_ENV, PASSWORD_ENV, imap_credentials, parse_imap_url

    cfg = box if box is not None else workspace.bounces
    option = f"[bounces] {box.label}" if box is not None and box.name else "--imap"
    scheme, sep, rest = url.partition("://")
    if sep and cfg.user and "@" not in rest.split("/", 1)[0]:
        url = f"{scheme}://{quote(cfg.user, safe='')}@{rest}"
    if sep and cfg.auth == "xoauth2" and "auth=" not in rest:
        url += ("&" if "?" in rest else "?") + "auth=xoauth2"
    settings = parse_imap_url(url, option=option)
    env = dict(os.environ)
    own_env = cfg.password_env
    if own_env:
        env.pop(PASSWORD_ENV, None)
        if env.get(own_env):
            env[PASSWORD_ENV] = env[own_env]
    same = _smtp_account(settings, workspace)
    # A sending relay's own mailbox: how it logs in ([smtp] or its [[smtp.relays]] auth, its token or token
    # command) serves too, as its password does, unless [bounces] or the URL says otherwise.
    smtp_oauth = same is not None and same.auth == "xoauth2" and not cfg.auth and "auth=" not in rest
    if smtp_oauth and settings.auth == "password":
        settings = dataclasses.replace(settings, auth="xoauth2")
    command, key = cfg.oauth_token_command, "bounces.oauth_token_command"
    if not command and smtp_oauth and same is not None and same.oauth_token_command:
        command, key = same.oauth_token_command, "smtp.oauth_token_command"
    if smtp_oauth and not env.get(OAUTH_TOKEN_ENV):
        from pressctl.relays.oauth import TOKEN_ENV as SMTP_TOKEN_ENV

        if env.get(SMTP_TOKEN_ENV):
            env[OAUTH_TOKEN_ENV] = env[SMTP_TOKEN_ENV]
    if command and not env.get(OAUTH_TOKEN_ENV) and (settings.auth == "xoauth2" or cfg.auth == "xoauth2"):
        from pressctl.relays.oauth import run_token_command

        try:
            env[OAUTH_TOKEN_ENV] = run_token_command(command).reveal()
        except PressctlError as exc:
            what = exc.what.replace("smtp.oauth_token_command", key)
            raise InputError(what, where=exc.where, hint=exc.hint) from None
    if not env.get(PASSWORD_ENV) and settings.auth == "password" and same is not None:
        from pressctl.send.relayset import password_for

        password = password_for(same, env)
        if password:
            env[PASSWORD_ENV] = password  # a sending relay's own mailbox: its password serves
    prompt: Callable[[str], str] | None = None
    if sys.stdin.isatty():
        prompt = lambda text: typer.prompt(text.rstrip(": "), hide_input=True, default="", show_default=False)  # noqa: E731
    try:
        return imap_credentials(settings, environ=env, prompt=prompt)
    except InputError as exc:
        if own_env and settings.auth == "password":
            raise InputError(exc.what, hint=f"set {own_env} in the environment (password_env of this mailbox)") from None
        raise


def _smtp_account(settings: ImapSettings, workspace: Workspace) -> RelaySpec | None:
    """The sending relay (``[smtp] url`` or one of ``[[smtp.relays]]``) whose account this mailbox is: same
    host and user. Its login serves the mailbox too; None when the mailbox is another account."""
    from pressctl.relays.profiles import LimitOptions
    from pressctl.send.relayset import relay_specs

    try:
        specs = relay_specs(workspace, (), LimitOptions())
    except InputError:
        return None
    for spec in specs:
        smtp = spec.settings
        if smtp.host.lower() == settings.host.lower() and (smtp.username or "") == settings.username:
            return spec
    return None
