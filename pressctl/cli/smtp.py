"""CLI: ``pressctl smtp check [RELEASE] [--smtp URL]``: look at the relay as a send would, send nothing.

Thin over :mod:`pressctl.send.probe`: EHLO capabilities, the certificate, whether the login works, the
limits that would apply and, with RELEASE, its largest message against the relay's SIZE. Exit 0 when the
relay can be used (and the messages fit), 1 when the login is refused or it cannot be reached, 2 for bad
input or messages larger than the relay takes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import escape, handle_errors, is_tty, out, workspace_for
from pressctl.cli._options import ConfigFile, SmtpProfile
from pressctl.errors import InputError

__all__ = ["register"]

smtp_app = typer.Typer(help="Look at the SMTP relay: `pressctl smtp check`.", no_args_is_help=True)


@smtp_app.command("check")
@handle_errors
def check(
    release: Annotated[
        Path | None,
        typer.Argument(metavar="[RELEASE]", help="A release: compare its largest message with the relay's SIZE."),
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option("--smtp", help="The relay to check (default: \\[smtp] url in pressctl.toml)."),
    ] = None,
    contacts: Annotated[
        list[Path] | None,
        typer.Option("--contacts", "-c", help="With RELEASE: size the messages as they go to these lists."),
    ] = None,
    smtp_profile: SmtpProfile = None,
    config: ConfigFile = None,
) -> None:
    """Connect to the relay exactly as `pressctl send` would and report what it offers; send nothing.

    Shows the EHLO capabilities (STARTTLS, AUTH methods, SIZE, PIPELINING, SMTPUTF8, 8BITMIME), the TLS certificate (subject, issuer, expiry), whether the login works (password from PRESSCTL_SMTP_PASSWORD, or OAuth2 with \\[smtp] auth = "xoauth2"), the limits a send would use, and with RELEASE whether its largest message fits the relay's SIZE (`pressctl send` refuses a release that does not).

    Exit status: 0 usable; 1 login refused or relay unreachable; 2 bad input, or a message too large.

    Example:
      pressctl smtp check releases/launch.md --smtp smtp://press@mail.hvsp.example
    """
    import asyncio
    import os

    from pressctl.send.campaign import SendOptions, make_transport, plan_send
    from pressctl.send.probe import check_size, largest_message, probe
    from pressctl.send.transport import PASSWORD_ENV, SmtpTransport

    workspace = workspace_for(release, config)
    url = smtp or workspace.smtp_url
    if not url:
        raise InputError(
            "no SMTP relay to check: no --smtp and no [smtp] url in pressctl.toml",
            hint="give --smtp smtp://user@host:587, or set url under [smtp] in pressctl.toml",
        )
    options = SendOptions(smtp_url=url, smtp_profile=smtp_profile)
    plan = None
    if release is not None:
        plan = plan_send(
            release, list(contacts or ()), workspace=workspace, options=options, check_embargo=False,
            need_contacts=False,
        )
    limits = options.limits(workspace)
    password = os.environ.get(PASSWORD_ENV) or None
    transport = make_transport(plan or workspace, smtp_url=url, password=password)
    assert isinstance(transport, SmtpTransport)
    s = transport.settings
    if s.username and password is None and transport.auth == "password" and is_tty():
        password = typer.prompt(f"Password for {s.username} at {s.host}", hide_input=True, err=True)
        transport = make_transport(plan or workspace, smtp_url=url, password=password)
        assert isinstance(transport, SmtpTransport)
    report = asyncio.run(probe(transport))

    def row(key: str, value: object) -> None:
        out.print(f"{key:<14}{escape(str(value))}")

    row("relay", report.description)
    row("EHLO name", report.helo)
    row("encryption", report.tls if report.tls != "none" else
        "none" + (" (the relay offers STARTTLS)" if report.starttls_offered else ""))
    cert = report.certificate
    if cert is not None:
        now = dt.datetime.now(dt.UTC)
        expiry = cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "?"
        days = cert.days_left(now)
        row("certificate", f"{cert.subject}, issued by {cert.issuer}, expires {expiry}"
            + (f" ({days} days)" if days is not None else "") + (f", {cert.tls_version}" if cert.tls_version else ""))
    row("AUTH", " ".join(report.auth_methods) or "none offered")
    row("SIZE", f"{report.size:,} bytes" if report.size else "no limit announced")
    for name in ("PIPELINING", "SMTPUTF8", "8BITMIME"):
        row(name, "yes" if report.has(name) else "no")
    row("login", report.login)
    row("profile", f"{limits.profile.name} ({limits.profile_origin})")
    for line in limits.lines():
        row("limit", line)
    for warning in limits.warnings:
        row("note", warning)
    bad_size: InputError | None = None
    if plan is not None:
        largest, language = largest_message(plan)
        fits = "fits" if report.size is None or largest <= report.size else "DOES NOT FIT"
        row("largest msg", f"{largest:,} bytes ({language}): {fits}")
        try:
            check_size(largest, language, report.size, f"{s.host}:{s.port}")
        except InputError as exc:
            bad_size = exc
    out.print("nothing was sent")
    if bad_size is not None:
        raise bad_size
    if report.login_ok is False:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``smtp`` (``smtp check``) to the app."""
    app.add_typer(smtp_app, name="smtp")
