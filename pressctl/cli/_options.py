"""Command-line options that several commands share, declared once so their names and help texts agree.

Each is an ``Annotated`` alias; a command writes ``where: Where = None`` and keeps its default in its own
signature (typer copies the option for each command, so sharing one is safe).

The pacing and retry options are generic in their type: ``send`` has real defaults (``Concurrency[int] = policy.CONCURRENCY``)
while ``schedule add`` uses ``None`` for "not given" (``Concurrency[int | None] = None``), so a job stores
only what was chosen and takes ``send``'s defaults when it goes.

Where a command means something else by an option (``schedule add --suppress`` is read again at the lift,
``render --lang`` renders rather than sends) it keeps its own declaration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer

from pressctl.errors import ConfigError, InputError
from pressctl.relays import policy

__all__ = [
    "BatchPause",
    "BatchSize",
    "Concurrency",
    "ConfigFile",
    "ContactLists",
    "CopyTo",
    "DailyCap",
    "Encoding",
    "FromAddress",
    "Lang",
    "LedgerDb",
    "MaxAttempts",
    "Rate",
    "ReleaseFile",
    "RetryFor",
    "SkipAdvance",
    "Smtp",
    "SmtpProfile",
    "Suppress",
    "Where",
    "raise_for_from",
]

T = TypeVar("T")

# -- what to send, and to whom -------------------------------------------------------------------------------

ReleaseFile = Annotated[Path, typer.Argument(help="The release file (Markdown with YAML front matter).")]

# Several after one -c work in the commands registered with cli._lists.ListOptionCommand (send, schedule add,
# contacts check): typer alone gives an option one value per occurrence.
ContactLists = Annotated[
    list[Path],
    typer.Option(
        "--contacts", "-c",
        help="Contact lists (.csv/.tsv/.txt/.xlsx): several after one -c (-c a.csv b.xlsx), or -c repeated.",
    ),
]

CopyTo = Annotated[
    list[str] | None,
    typer.Option(
        "--copy-to",
        help="Also send one copy per language of exactly what goes out, when it goes out, to this address of "
        "your own (repeatable; with \\[sender] internal_copies). Recorded as internal, never counted with the journalists.",
    ),
]

SkipAdvance = Annotated[
    bool,
    typer.Option(
        "--skip-advance",
        help="At the lift, leave out those who had the advance copy (by default they get the released version, once).",
    ),
]

Encoding = Annotated[
    str | None,
    typer.Option("--encoding", help="Encoding of lists that are not UTF-8/UTF-16, e.g. big5, cp1252, gb18030."),
]

Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        help="Select contacts: FIELD=VALUE, FIELD!=VALUE, FIELD=A,B (any of). Repeat: all must hold.",
    ),
]

Suppress = Annotated[
    list[Path] | None,
    typer.Option(
        "--suppress",
        help="Another suppression list (the workspace's contacts/suppressed.csv always applies).",
    ),
]

AllowDifferences = Annotated[
    bool,
    typer.Option(
        "--allow-differences",
        help="Send even though the language versions differ in dates, figures, phones, e-mail addresses, URLs, "
        "photos or quotes (`pressctl check RELEASE` lists them).",
    ),
]

Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Send only this language version (e.g. zh-HK), to everyone selected. To reach only that "
        "language's readers, use --where language=zh-HK instead.",
    ),
]

# -- how it goes ---------------------------------------------------------------------------------------------

# Brackets are escaped: rich would take "[smtp]" for markup and drop it.
Smtp = Annotated[
    list[str] | None,
    typer.Option(
        "--smtp",
        help="smtp://\\[user@]host\\[:port] (STARTTLS) or smtps://... Repeat for several relays: the "
        "connections are spread over them, and one that fails leaves rotation while the others carry on "
        "(--concurrency, --rate, --daily-cap and --smtp-profile then apply to each). Default: \\[smtp] url in "
        "pressctl.toml (or its \\[\\[smtp.relays]] tables), else the local outbox. Password: PRESSCTL_SMTP_PASSWORD "
        "(PRESSCTL_SMTP_PASSWORD_2, _3... for the 2nd, 3rd relay if they differ), else a prompt (a scheduled "
        "job needs them where the dispatcher runs).",
    ),
]

FromAddress = Annotated[
    str | None,
    typer.Option("--from", help="The From address (default: \\[sender] from in pressctl.toml)."),
]

Concurrency = Annotated[
    T,
    typer.Option(
        "--concurrency",
        help=f"SMTP connections, each reused (1 to {policy.MAX_CONCURRENCY}). Default: \\[smtp] concurrency, else the relay profile's (4).",
    ),
]

Rate = Annotated[
    T,
    typer.Option(
        "--rate",
        help="At most this many messages: N/s, N/min or N/h (0: no limit). Default: \\[smtp] rate, else the "
        "relay profile's (none).",
    ),
]

SmtpProfile = Annotated[
    str | None,
    typer.Option(
        "--smtp-profile",
        help="The relay's limits: microsoft365, gmail, google-relay, ses or generic (default: \\[smtp] profile, "
        "else recognised from the relay's host, else generic). --concurrency, --rate and --daily-cap still win.",
    ),
]

DailyCap = Annotated[
    int | None,
    typer.Option(
        "--daily-cap",
        help="At most N recipients per rolling 24 h through this relay account, counting every campaign and "
        "job (0: no cap). Default: \\[smtp] daily_cap, else the relay profile's.",
    ),
]

BatchSize = Annotated[T, typer.Option("--batch-size", help="Pause after every N messages (0: never).")]

BatchPause = Annotated[T, typer.Option("--batch-pause", help="The pause between batches, e.g. 30s, 5m, 1h30m.")]

MaxAttempts = Annotated[
    T, typer.Option("--max-attempts", help="Tries per recipient for temporary failures (4xx, timeouts); "
        "replies that throttle the whole run are not counted.")
]

RetryFor = Annotated[T, typer.Option("--retry-for", help="Stop retrying a recipient after this long, e.g. 10m, 1h, 1h30m.")]

# -- where things are ----------------------------------------------------------------------------------------

LedgerDb = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The ledger: a file, or a shared database as postgresql://USER@HOST:5432/DB (its password in "
        "PRESSCTL_LEDGER_PASSWORD or ~/.pgpass). Default: \\[ledger] url, else .pressctl/ledger.sqlite3.",
    ),
]

ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="The workspace's pressctl.toml (default: found upwards).")
]


def raise_for_from(exc: ConfigError, from_addr: str | None) -> None:
    """Name --from when a From line the user typed is what the engine refused (not pressctl.toml).

    Call it in ``except ConfigError``, then re-raise: it returns when the fault is not the option's.
    """
    if from_addr and exc.what.startswith("sender.from "):
        raise InputError(
            f"--from {from_addr!r} is not one email address",
            hint='write e.g. --from "HVSP Press Office <press@hvsp.example>"',
        ) from None
