"""CLI: ``pressctl domain check``: the sending domain as receivers will judge it (SPF, DKIM, DMARC, MX,
reverse DNS, volume), one line per finding with the record to publish. Thin over
:mod:`pressctl.send.domaincheck`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pressctl.cli._common import command, exit_with, workspace_for
from pressctl.cli._domain_output import print_report
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, FromAddress, Smtp, SmtpProfile
from pressctl.errors import ExitStatus

__all__ = ["register"]

domain_app = typer.Typer(help="Check the sending domain's DNS: `pressctl domain check`.", no_args_is_help=True)


@domain_app.command("check")
@command
def check(
    env: Env,
    smtp: Smtp = None,
    from_addr: FromAddress = None,
    smtp_profile: SmtpProfile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    config: ConfigFile = None,
) -> None:
    """Check the From domain's SPF, DKIM, DMARC, MX and the relays' reverse DNS, as Gmail, Yahoo and Outlook.com will.

    Asks the DNS servers in \\[dns] nameservers (default: this machine's resolver). For the relays of \\[smtp] (or --smtp): SPF must include the relay profile's servers (Microsoft 365, Google, SES) or a smarthost's addresses, within 10 lookups; a DKIM key must be published at the selector the relay signs with (\\[sender] dkim_selector, or pressctl's own key, \\[sender] dkim_key_file); DMARC must align through SPF or DKIM. Each finding is one line with the record to publish. `pressctl send` runs the same check first and refuses a release that DMARC p=quarantine/reject would reject.

    Exit status: 0 nothing stops a send (warnings may remain); 1 no DNS server answered; 2 a finding stops a send, or bad input.

    Example:
      pressctl domain check --smtp smtp://press@smtp.office365.com:587 --json
    """
    from pressctl.domain.decision import check_status
    from pressctl.send.domaincheck import domain_report
    from pressctl.send.options import SendOptions

    workspace = workspace_for(env, None, config)
    options = SendOptions(smtp_urls=tuple(smtp or ()), smtp_profile=smtp_profile, from_addr=from_addr)
    report = domain_report(workspace, options.relays(workspace), from_addr=from_addr)
    if as_json:
        env.out.file.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(env, report)
    status = check_status(report)
    if status != ExitStatus.OK:
        raise exit_with(status)


def register(app: typer.Typer) -> None:
    """Add ``domain`` (``domain check``) to the app."""
    app.add_typer(domain_app, name="domain")
