"""CLI: ``pressctl dkim keygen``: a DKIM key pair for a relay that does not sign; prints the TXT record to
publish and the two lines for pressctl.toml. Thin over :mod:`pressctl.dkim.keys`. The private key is written
0600 and never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile

__all__ = ["register"]

dkim_app = typer.Typer(help="DKIM signing by pressctl: `pressctl dkim keygen`.", no_args_is_help=True)


@dkim_app.command("keygen")
@command
def keygen(
    env: Env,
    selector: Annotated[str, typer.Option("--selector", "-s", help="Where the key is published: <selector>._domainkey.<domain>.")],
    algorithm: Annotated[str, typer.Option("--algorithm", help="rsa (every receiver checks it) or ed25519.")] = "rsa",
    bits: Annotated[int, typer.Option("--bits", help="RSA key size: 2048 (advised), 1024, 3072 or 4096.")] = 2048,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the private key (default: .pressctl/dkim/SELECTOR.pem).")
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Make a DKIM key pair: the private key in a 0600 file, the public key as the TXT record to publish.

    pressctl then signs every message it sends (relaxed/relaxed, RSA-SHA256 or Ed25519-SHA256, the headers that matter and List-Unsubscribe included) once \\[sender] dkim_key_file and dkim_selector name it. Publish the record before the first send; `pressctl domain check` confirms it. An existing file is never overwritten.

    Example:
      pressctl dkim keygen --selector press2026
    """
    from pressctl.config.sender import sender_address
    from pressctl.dkim.keys import generate

    workspace = workspace_for(env, None, config)
    made = generate(workspace, selector=selector, algorithm=algorithm, bits=bits, out=out)
    domain = sender_address(workspace.sender.from_addr, key="from", where=None)[1].rpartition("@")[2]
    try:
        shown = made.path.relative_to(workspace.root)
    except ValueError:
        shown = made.path
    kind = f"RSA {made.bits} bits" if made.bits else "Ed25519"
    env.out.print(f"private key ({kind}, mode 0600): {escape(shown)}")
    env.out.print(f"publish this TXT record at {escape(selector)}._domainkey.{escape(domain)}:")
    env.out.print(escape(made.txt))
    env.out.print("then add to \\[sender] in pressctl.toml:")
    env.out.print(escape(f'dkim_key_file = "{shown}"'))
    env.out.print(escape(f'dkim_selector = "{selector}"'))


def register(app: typer.Typer) -> None:
    """Add ``dkim`` (``dkim keygen``) to the app."""
    app.add_typer(dkim_app, name="dkim")
