"""CLI: ``pressctl contacts check`` — what a contact list will do before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._common import command, escape, exit_with, print_table, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import Encoding, Suppress, Where
from pressctl.errors import ExitStatus, InputError

if TYPE_CHECKING:
    from pressctl.contacts.outcome import ContactSet

__all__ = ["check", "register"]

_PROBLEM_LIMIT = 50


@command
def check(
    env: Env,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Contact lists: .csv, .tsv, .txt (Excel 'Unicode Text') or .xlsx (or give them with -c).",
            show_default=False,
        ),
    ] = None,
    contacts: Annotated[
        list[Path] | None,
        typer.Option(
            "--contacts", "-c",
            help="Contact lists, as send and schedule take them: several after one -c (-c a.csv b.xlsx), or -c repeated.",
        ),
    ] = None,
    encoding: Encoding = None,
    where: Where = None,
    suppress: Suppress = None,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language",
            "-l",
            help="Languages the release exists in, main first (e.g. -l en -l zh-HK): count contacts per language as routed.",
        ),
    ] = None,
    release: Annotated[
        Path | None,
        typer.Option(
            "--release",
            "-r",
            help="A release file: route contacts to its languages and report merge fields some contacts lack.",
        ),
    ] = None,
    check_dns: Annotated[
        bool, typer.Option("--check-dns", help="Also check that each domain can receive mail (DNS; slower).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help=f"List every problem, not only the first {_PROBLEM_LIMIT} (\\[limits] problems_shown).")
    ] = False,
) -> None:
    """Check contact lists: counts (rows, valid, invalid, duplicates, suppressed, selected, per language) and problems by row.

    With --release, also lists who would be greeted without a name ("Dear editor,") and why: a name with no clear given name, only a Chinese name for an English greeting, a reader of another language's version.

    Exit status 0 when the lists can be used (rows with problems are reported and would be skipped),
    2 when they cannot (no email column, undecodable file, bad --where) or, with --release, when a
    merge field without a fallback is empty for some contacts (a send would refuse).

    Examples:
      pressctl contacts check contacts/journalists.csv
      pressctl contacts check tech.csv finance.xlsx \\
        --where beat=technology,science --json
      pressctl contacts check export.csv --encoding big5 --suppress bounced.csv
      pressctl contacts check contacts/journalists.csv \\
        --release releases/sample.md
    """
    from pressctl.contacts.load import load_contacts
    from pressctl.contacts.mergecheck import check_merge_fields

    files = [*(files or ()), *(contacts or ())]
    if not files:
        raise InputError(
            "no contact list given", hint="pressctl contacts check FILE... (or -c FILE...), e.g. contacts/journalists.csv"
        )
    workspace = workspace_for(env, release)
    languages = None
    default = workspace.language
    releases = []
    if release is not None:
        from pressctl.release.load import load_release_set

        releases = load_release_set(release, workspace)
        languages = [r.language for r in releases]
        default = releases[0].language
    elif language:
        from pressctl.languages.tags import normalise_language

        languages = [normalise_language(tag, where="--language") for tag in language]
        default = languages[0]
    result = load_contacts(
        files,
        encoding=encoding,
        where=where or (),
        suppress=suppress or (),
        workspace=workspace,
        check_dns=check_dns,
        languages=languages,
        default_language=default,
    )
    for notice in result.notices:
        warn(env, notice)
    missing = []
    fallbacks = []
    if releases:
        from pressctl.release.merge import MergePlan
        from pressctl.render.email import render_email

        # Rendering the email (not the PDF) is what finds every merge field, the greeting's included;
        # the check is send's own (check_merge_fields), per the version each contact receives.
        plan = MergePlan()
        renders = {each.language: render_email(each, workspace, plan, embargoed=False) for each in releases}
        missing = check_merge_fields(result.selected, plan, renders)
        from pressctl.contacts.greetings import greeting_fallbacks

        fallbacks = greeting_fallbacks(result.selected, plan, renders)
    if as_json:
        report = result.report()
        if releases:
            report["missing_fields"] = [
                {"field": m.field, "contacts": [c.source or c.email for c in m.contacts]} for m in missing
            ]
            report["greeting_fallbacks"] = [
                {
                    "contact": f.contact.source or f.contact.email, "email": f.contact.email,
                    "language": f.language, "greeting": f.greeting, "why": f.why,
                }
                for f in fallbacks
            ]
        env.out.file.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        _print(env, result, limit=None if show_all else workspace.limits.problems_shown)
        for m in missing:
            who = ", ".join(escape(c.source or c.email) for c in m.contacts[:10])
            more = f" and {len(m.contacts) - 10} more" if len(m.contacts) > 10 else ""
            env.out.print(
                f"[red]merge field {escape(m.field)!r} is empty for {len(m.contacts)} contact(s):[/] {who}{more}"
            )
        if missing:
            env.out.print('Fill the column, or give the field a fallback in the release: {{ field or "..." }}')
        if fallbacks:
            env.out.print(f"[yellow]{len(fallbacks)} contact(s) greeted without a name:[/]")
            print_table(
                env,
                ("where", "address", "greeting", "why"),
                [(f.contact.source, f.contact.email, f.greeting, f.why) for f in fallbacks],
            )
    if missing:
        raise exit_with(ExitStatus.BAD_INPUT)


def _print(env: Env, result: ContactSet, *, limit: int | None) -> None:
    from rich.table import Table

    from pressctl.languages.tags import language_names

    counts = Table.grid(padding=(0, 2))
    counts.add_column(justify="left")
    counts.add_column(justify="right")
    counts.add_row("files", str(len(result.files)))
    counts.add_row("rows", str(result.rows))
    counts.add_row("valid", str(result.valid))
    counts.add_row("invalid", _count(len(result.invalid), "red"))
    counts.add_row("duplicates", _count(len(result.duplicates), "yellow"))
    if result.excluded:
        counts.add_row("not matching --where", str(result.excluded))
    counts.add_row("suppressed", str(len(result.suppressed)))
    counts.add_row("[bold]selected[/]", f"[bold]{len(result.selected)}[/]")
    out = env.out
    fallbacks = result.language_fallbacks()
    names = language_names([*result.per_language(), *(t for pair in fallbacks for t in pair)])
    for tag, number in result.per_language().items():
        counts.add_row(f"  {escape(names[tag])}", str(number))
    out.print(counts)
    for (wanted, got), number in sorted(fallbacks.items()):
        readers = "reader gets" if number == 1 else "readers get"
        out.print(
            f"[yellow]{number} {escape(names[wanted])} {readers} {escape(names[got])}:[/] "
            f"the release has no {escape(names[wanted])} version"
        )

    colours = {"invalid": "red", "duplicate": "yellow", "warning": "yellow"}
    problems = result.problems()
    if problems and not out.is_terminal:
        # Piped or redirected: one problem per line, not a table folded into 80 columns.
        shown = problems if limit is None else problems[:limit]
        out.print("Problems by row")
        print_table(
            env,
            ("where", "kind", "column", "problem", "value"),
            [
                (f"{_short(env, p.file)}:{p.row}", kind, p.column, p.reason, p.value)
                for kind, p in shown
            ],
        )
    elif problems:
        shown = problems if limit is None else problems[:limit]
        table = Table(title="Problems by row", title_justify="left", show_lines=False)
        table.add_column("where", overflow="fold")
        table.add_column("kind")
        table.add_column("column", overflow="fold")
        table.add_column("problem", overflow="fold", ratio=3)
        table.add_column("value", overflow="fold", ratio=2)
        for kind, problem in shown:
            table.add_row(
                escape(f"{_short(env, problem.file)}:{problem.row}"),
                f"[{colours[kind]}]{kind}[/]",
                escape(problem.column),
                escape(problem.reason),
                escape(problem.value),
            )
        out.print(table)
    if problems and len(shown) < len(problems):
        out.print(f"… and {len(problems) - len(shown)} more; --all lists them all, --json gives them as data.")
    if result.suppressed:
        out.print(
            "Suppressed (never sent): "
            + ", ".join(escape(c.email) for c in result.suppressed[:10])
            + (f" and {len(result.suppressed) - 10} more" if len(result.suppressed) > 10 else "")
        )
    if not result.selected:
        out.print("[yellow]Nobody is selected: a send with these lists would reach no one.[/]")


def _short(env: Env, path: Path) -> str:
    """A path as short as it can be said from the folder the command started in."""
    try:
        return str(path.resolve().relative_to(env.cwd.resolve()))
    except ValueError:
        return str(path)


def _count(number: int, colour: str) -> str:
    return f"[{colour}]{number}[/]" if number else "0"


def register(app: typer.Typer) -> None:
    """Add the ``contacts`` command group to the app."""
    group = typer.Typer(
        name="contacts",
        help="Check journalist contact lists before sending.",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    from pressctl.cli._lists import ListOptionCommand

    group.command("check", cls=ListOptionCommand)(check)
    app.add_typer(group, name="contacts")
