"""The transport a send goes through: the relays of ``--smtp`` / ``[[smtp.relays]]`` / ``[smtp] url`` (one
:class:`SmtpTransport` each, with its password and, for ``xoauth2``, its token source; several in a
:class:`RelayPool`), else the workspace's local outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pressctl.config import Workspace
from pressctl.config.smtp import parse_smtp_url, relay_password
from pressctl.relays.oauth import TokenSource, login_xoauth2
from pressctl.send.options import SendOptions
from pressctl.send.outbox import OutboxTransport
from pressctl.send.plan import SendPlan
from pressctl.send.relaypool import RelayPool
from pressctl.send.relayset import RelaySpec
from pressctl.send.smtp import SmtpTransport
from pressctl.send.transport import Transport

__all__ = ["make_transport", "relay_of"]


def make_transport(
    plan_or_workspace: SendPlan | Workspace,
    *,
    smtp_url: str | None = None,
    password: str | None = None,
    from_addr: str | None = None,
    passwords: Mapping[int, str] | None = None,
    options: SendOptions | None = None,
) -> Transport:
    """The relays of ``--smtp`` / ``[[smtp.relays]]`` / ``[smtp] url`` (one :class:`SmtpTransport`, or a
    :class:`RelayPool` of several), else the workspace's local outbox.

    ``options``: with a workspace, whose relays (``--smtp``, ``--smtp-profile``) to use.
    Each relay's password: ``passwords[index]`` (asked at a prompt), else the environment (see
    :func:`pressctl.config.smtp.relay_password`), else ``password`` (``PRESSCTL_SMTP_PASSWORD`` by default).
    """
    import os

    if isinstance(plan_or_workspace, SendPlan):
        workspace = plan_or_workspace.workspace
        from_addr = from_addr or plan_or_workspace.from_addr
        if smtp_url:
            specs = SendOptions(smtp_url=smtp_url).relays(workspace)
        else:
            specs = plan_or_workspace.relays or plan_or_workspace.options.relays(workspace)
    else:
        workspace = plan_or_workspace
        specs = (options or SendOptions(smtp_url=smtp_url)).relays(workspace)
    if not specs:
        return OutboxTransport(workspace.outbox_dir)
    transports = tuple(
        _smtp_transport(
            spec,
            workspace,
            from_addr=from_addr,
            password=(passwords or {}).get(spec.index) or relay_password(spec, os.environ) or password,
        )
        for spec in specs
    )
    return transports[0] if len(transports) == 1 else RelayPool(transports)


def _smtp_transport(spec: RelaySpec, workspace: Workspace, *, from_addr: str | None, password: str | None) -> SmtpTransport:
    settings = parse_smtp_url(spec.url, password=password, option=spec.option)
    sender = from_addr or workspace.sender.from_addr
    profile = spec.limits.profile.name
    if spec.auth != "xoauth2":
        return SmtpTransport(
            settings, sender=sender, local_hostname=spec.helo, profile=profile
        )
    tokens = TokenSource(  # one per relay: its connections share the token
        command=spec.oauth_token_command, withhold=workspace.secret_env_names, pass_env=workspace.smtp.pass_env
    )
    user = settings.username or ""

    async def authenticate(client: Any) -> None:
        await login_xoauth2(client, user, tokens)

    return SmtpTransport(
        settings,
        sender=sender,
        local_hostname=spec.helo,
        auth="xoauth2",
        authenticate=authenticate,
        tokens=tokens,
        profile=profile,
    )



def relay_of(transport: Transport) -> str | None:
    """The relay account a daily cap is counted under (scheme, host, port, user); None for the outbox and
    for several relays (each row then records its own)."""
    return transport.account if isinstance(transport, SmtpTransport) else None

