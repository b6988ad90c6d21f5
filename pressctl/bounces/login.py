"""How ``pressctl bounces`` logs in to an IMAP mailbox: its URL with the mailbox's ``user`` and ``auth`` filled
in, and its secret from the environment, the sending relay of the same account, a token command or a prompt.

The secret, in order: the mailbox's ``password_env`` variable, else ``PRESSCTL_IMAP_PASSWORD``, else the
password of the sending relay of the same account (same host and user: :func:`pressctl.config.smtp.relay_entries`
and :func:`~pressctl.config.smtp.relay_password`), else ``prompt`` (a terminal). An XOAUTH2 token:
``PRESSCTL_IMAP_OAUTH_TOKEN``, else the mailbox's ``oauth_token_command``, else, for a sending relay's own
mailbox that logs in with XOAUTH2, that relay's token (``PRESSCTL_SMTP_OAUTH_TOKEN`` or its command). A token
command gets the environment without pressctl's secrets and without every password variable the
configuration names (``Workspace.secret_env_names``), like every command pressctl runs. The secret never
prints: errors name host and user only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from urllib.parse import quote

from pressctl.bounces.imapurl import (
    OAUTH_TOKEN_ENV,
    PASSWORD_ENV,
    ImapSettings,
    imap_credentials,
    parse_imap_url,
)
from pressctl.config import Workspace
from pressctl.config.mailboxes import Mailbox
from pressctl.config.smtp import RelayEntry, relay_entries, relay_password
from pressctl.errors import InputError, PressctlError
from pressctl.relays.oauth import TOKEN_ENV as SMTP_TOKEN_ENV
from pressctl.relays.oauth import run_token_command

__all__ = ["imap_settings"]


def imap_settings(
    url: str,
    workspace: Workspace,
    box: Mailbox | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> ImapSettings:
    """The URL with the mailbox's ``user``/``auth`` filled in (``box``, default: ``[bounces]`` itself), and
    its secret (never printed; see the module docstring). ``environ``: the environment (default: this
    process's); ``prompt``: asks for a password (None: nobody to ask)."""
    cfg = box if box is not None else workspace.bounces
    option = f"[bounces] {box.label}" if box is not None and box.name else "--imap"
    scheme, sep, rest = url.partition("://")
    if sep and cfg.user and "@" not in rest.split("/", 1)[0]:
        url = f"{scheme}://{quote(cfg.user, safe='')}@{rest}"
    if sep and cfg.auth == "xoauth2" and "auth=" not in rest:
        url += ("&" if "?" in rest else "?") + "auth=xoauth2"
    settings = parse_imap_url(url, option=option)
    source = os.environ if environ is None else environ
    env = dict(source)
    own_env = cfg.password_env
    if own_env:
        env.pop(PASSWORD_ENV, None)
        if env.get(own_env):
            env[PASSWORD_ENV] = env[own_env]
    same = _smtp_account(settings, workspace)
    # A sending relay's own mailbox: how it logs in ([smtp] or its [[smtp.relays]] auth, its token or token
    # command) serves too, as its password does, unless [bounces] or the URL says otherwise.
    smtp_oauth = same is not None and same.smtp.auth == "xoauth2" and not cfg.auth and "auth=" not in rest
    if smtp_oauth and settings.auth == "password":
        settings = dataclasses.replace(settings, auth="xoauth2")
    command, key = cfg.oauth_token_command, "bounces.oauth_token_command"
    pass_env: tuple[str, ...] = ()
    if not command and smtp_oauth and same is not None and same.smtp.oauth_token_command:
        command, key, pass_env = same.smtp.oauth_token_command, "smtp.oauth_token_command", workspace.smtp.pass_env
    if smtp_oauth and not env.get(OAUTH_TOKEN_ENV) and env.get(SMTP_TOKEN_ENV):
        env[OAUTH_TOKEN_ENV] = env[SMTP_TOKEN_ENV]
    if command and not env.get(OAUTH_TOKEN_ENV) and (settings.auth == "xoauth2" or cfg.auth == "xoauth2"):
        try:
            token = run_token_command(command, env=source, withhold=workspace.secret_env_names, pass_env=pass_env)
        except PressctlError as exc:
            what = exc.what.replace("smtp.oauth_token_command", key)
            raise InputError(what, where=exc.where, hint=exc.hint) from None
        env[OAUTH_TOKEN_ENV] = token.reveal()
    if not env.get(PASSWORD_ENV) and settings.auth == "password" and same is not None:
        password = relay_password(same, env)
        if password:
            env[PASSWORD_ENV] = password  # a sending relay's own mailbox: its password serves
    try:
        return imap_credentials(settings, environ=env, prompt=prompt)
    except InputError as exc:
        if own_env and settings.auth == "password":
            raise InputError(exc.what, hint=f"set {own_env} in the environment (password_env of this mailbox)") from None
        raise


def _smtp_account(settings: ImapSettings, workspace: Workspace) -> RelayEntry | None:
    """The sending relay (``[smtp] url`` or one of ``[[smtp.relays]]``) whose account this mailbox is: same
    host and user. Its login serves the mailbox too; None when the mailbox is another account."""
    try:
        relays = relay_entries(workspace)
        for relay in relays:
            smtp = relay.settings
            if smtp.host.lower() == settings.host.lower() and (smtp.username or "") == settings.username:
                return relay
    except InputError:
        return None
    return None
