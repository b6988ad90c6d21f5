"""CLI: ``pressctl smtp check [RELEASE] [--smtp URL]``: look at the relay as a send would, send nothing.

Thin over :mod:`pressctl.send.probe`: EHLO capabilities, the certificate, whether the login works, the
limits that would apply and, with RELEASE, its largest message against the relay's SIZE. Exit 0 when the
relay can be used (and the messages fit), 1 when the login is refused or it cannot be reached, 2 for bad
input or messages larger than the relay takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, exit_with, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, SmtpProfile
from pressctl.errors import ExitStatus, InputError

__all__ = ["register"]

smtp_app = typer.Typer(help="Look at the SMTP relay: `pressctl smtp check`.", no_args_is_help=True)


@smtp_app.command("check")
@command
def check(
    env: Env,
    release: Annotated[
        Path | None,
        typer.Argument(metavar="[RELEASE]", help="A release: compare its largest message with each relay's SIZE."),
    ] = None,
    smtp: Annotated[
        list[str] | None,
        typer.Option(
            "--smtp",
            help="A relay to check; repeat for several (default: \\[\\[smtp.relays]] or \\[smtp] url in pressctl.toml).",
        ),
    ] = None,
    contacts: Annotated[
        list[Path] | None,
        typer.Option("--contacts", "-c", help="With RELEASE: size the messages as they go to these lists."),
    ] = None,
    smtp_profile: SmtpProfile = None,
    config: ConfigFile = None,
) -> None:
    """Connect to each relay exactly as `pressctl send` would and report what it offers; send nothing.

    For every relay (one block each): the EHLO capabilities (STARTTLS, AUTH methods, SIZE, PIPELINING, SMTPUTF8, 8BITMIME), the TLS certificate (subject, issuer, expiry), whether the login works (password from PRESSCTL_SMTP_PASSWORD, or OAuth2 with \\[smtp] auth = "xoauth2"), the limits a send would use, and with RELEASE whether its largest message fits the relay's SIZE (`pressctl send` sends a message only through relays that take it, and refuses a release no relay takes). Then the sending domain's SPF, DKIM and DMARC for these relays, as `pressctl domain check` shows them.

    Exit status: 0 every relay usable; 1 a login refused or a relay unreachable (named); 2 bad input, or a message too large for every relay.

    Example:
      pressctl smtp check releases/launch.md --smtp smtp://press@mail.hvsp.example
    """
    import asyncio

    from pressctl.config.smtp import needs_password, relay_password
    from pressctl.errors import TransportError
    from pressctl.send.options import SendOptions
    from pressctl.send.plan import plan_send
    from pressctl.send.probe import check_size, largest_message, probe
    from pressctl.send.relaypool import RelayPool
    from pressctl.send.smtp import SmtpTransport
    from pressctl.send.transports import make_transport
    workspace = workspace_for(env, release, config)
    options = SendOptions(smtp_urls=tuple(smtp or ()), smtp_profile=smtp_profile)
    specs = options.relays(workspace)
    if not specs:
        raise InputError(
            "no SMTP relay to check: no --smtp, and no [smtp] url or [[smtp.relays]] in pressctl.toml",
            hint="give --smtp smtp://user@host:587, or set url under [smtp] in pressctl.toml",
        )
    plan = None
    if release is not None:
        plan = plan_send(
            release, list(contacts or ()), workspace=workspace, options=options, now=env.clock(),
            check_embargo=False, need_contacts=False, preview=True,
        )
    passwords: dict[int, str] = {}
    for spec in specs:
        given = relay_password(spec, env.environ)
        if given:
            passwords[spec.index] = given
        elif needs_password(spec, env.environ) and env.interactive:  # no terminal: checked without one
            passwords[spec.index] = env.ask_secret(f"Password for {spec.settings.username} at {spec.settings.host}")
    made = make_transport(plan or workspace, options=options, passwords=passwords)
    transports = made.relays if isinstance(made, RelayPool) else (made,)
    largest: tuple[int, str] | None = largest_message(plan) if plan is not None else None

    out = env.out

    def row(key: str, value: object) -> None:
        out.print(f"{key:<14}{escape(str(value))}")

    failed: list[str] = []
    sizes: list[int | None] = []
    for spec, transport in zip(specs, transports, strict=True):
        assert isinstance(transport, SmtpTransport)
        if len(specs) > 1:
            if spec.index > 1:
                out.print("")
            out.print(f"-- relay {spec.index} of {len(specs)} --")
        try:
            report = asyncio.run(probe(transport))
        except TransportError as exc:
            if len(specs) == 1:
                raise  # one relay: its one error line, as always
            row("relay", transport.description)
            row("reachable", f"no: {exc.what}")
            failed.append(f"relay {spec.index} ({spec.account}) unreachable")
            continue
        row("relay", report.description)
        row("EHLO name", report.helo)
        row("encryption", report.tls if report.tls != "none" else
            "none" + (" (the relay offers STARTTLS)" if report.starttls_offered else ""))
        cert = report.certificate
        if cert is not None:
            now = env.clock()
            expiry = cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "?"
            days = cert.days_left(now)
            row("certificate", f"{cert.subject}, issued by {cert.issuer}, expires {expiry}"
                + (f" ({days} days)" if days is not None else "") + (f", {cert.tls_version}" if cert.tls_version else ""))
        row("AUTH", " ".join(report.auth_methods) or "none offered")
        row("SIZE", f"{report.size:,} bytes" if report.size else "no limit announced")
        for name in ("PIPELINING", "SMTPUTF8", "8BITMIME"):
            row(name, "yes" if report.has(name) else "no")
        row("login", report.login)
        limits = spec.limits
        row("profile", f"{limits.profile.name} ({limits.profile_origin})")
        for line in limits.lines():
            row("limit", line)
        for warning in limits.warnings:
            row("note", warning)
        if largest is not None:
            fits = "fits" if report.size is None or largest[0] <= report.size else "DOES NOT FIT"
            row("largest msg", f"{largest[0]:,} bytes ({largest[1]}): {fits}")
        sizes.append(report.size)
        if report.login_ok is False:
            failed.append(f"relay {spec.index} ({spec.account}) refused the login")
    from pressctl.cli._domain_output import print_report
    from pressctl.send.domaincheck import domain_report

    out.print("")
    print_report(env, domain_report(workspace, specs))  # what receivers will make of the From domain
    out.print("nothing was sent")
    if largest is not None and sizes and len(sizes) == len(specs) and all(size is not None for size in sizes):
        biggest = max(size or 0 for size in sizes)
        where = f"{specs[0].settings.host}:{specs[0].settings.port}" if len(specs) == 1 else f"largest of the {len(specs)} relays"
        check_size(largest[0], largest[1], biggest, where)  # no relay takes it: exit 2
    if failed:
        if len(specs) > 1:
            env.err.print(f"[red]not usable:[/] {escape('; '.join(failed))}")
        raise exit_with(ExitStatus.FAILED)


def register(app: typer.Typer) -> None:
    """Add ``smtp`` (``smtp check``) to the app."""
    app.add_typer(smtp_app, name="smtp")
