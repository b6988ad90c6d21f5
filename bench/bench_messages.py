"""How long building one recipient's message takes (issue 3 item 6; FACTS.md "Where the time goes").

Run: ``.venv/bin/python bench/bench_messages.py [--count N] [--sample] [--preview N] [--profile] [--cpu]``.

- default: hand-made renders (English and Chinese, merge fields in subject, greeting and body, one inline
  image) with a 60 KB PDF each: ~95 KB per message, the size the brief's target names.
- ``--sample``: the real thing: a workspace from ``pressctl init``, the sample release rendered by
  pressctl.render.email/pdf (email HTML with logo and photo, real PDFs), contacts from the sample list repeated.
- ``--preview N``: also time the dry run (``write_preview``) for N recipients.

Each run also builds 500 of the same messages from scratch with ``EmailMessage`` + ``as_bytes()`` for
comparison. Prints ms per message.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from messages_support import DATE, contact, fake_pdf, make_renders, make_workspace

from pressctl.addresses import parse_address
from pressctl.model import Contact, Rendered
from pressctl.release.merge import MergePlan
from pressctl.send.messages import MessageFactory


def synthetic_contacts(count: int) -> list[Contact]:
    out = []
    for i in range(count):
        if i % 2:
            out.append(
                contact(
                    f"reporter{i}@mingpoint.example",
                    f"黃嘉明{i}",
                    language="zh-HK",
                    fields={"name": f"黃嘉明{i}"},
                    outlet="明點日報",
                )
            )
        else:
            out.append(
                contact(
                    f"reporter{i}@harbourdaily.example",
                    f"Amy Chan {i}",
                    first_name="Amy",
                    outlet="Harbour Daily",
                )
            )
    # As contact loading makes them: each carries its checked address, so messages do not parse it again.
    return [replace(c, address=parse_address(c.email)) for c in out]


def synthetic(
    tmp: Path, count: int
) -> tuple[MessageFactory, list[Contact], dict[str, Rendered], MergePlan, dict[str, bytes]]:
    renders, plan = make_renders(paragraphs=40)
    pdfs = {"en": fake_pdf(seed="en"), "zh-HK": fake_pdf(seed="zh")}
    factory = MessageFactory(renders, pdfs, make_workspace(tmp), plan, campaign_id="bench", date=DATE)
    return factory, synthetic_contacts(count), renders, plan, pdfs


def sample(
    tmp: Path, count: int
) -> tuple[MessageFactory, list[Contact], dict[str, Rendered], MergePlan, dict[str, bytes]]:
    from pressctl.config import load_workspace
    from pressctl.contacts.load import load_contacts
    from pressctl.release.load import load_release_set
    from pressctl.render.email import render_email
    from pressctl.render.pdf import render_pdf
    from pressctl.scaffold import init_workspace

    root = tmp / "ws"
    init_workspace(root)
    workspace = load_workspace(root)
    releases = load_release_set(root / "releases" / "sample.md", workspace)
    plan = MergePlan()
    renders = {r.language: render_email(r, workspace, plan, embargoed=True) for r in releases}
    pdfs = {r.language: render_pdf(r, workspace, plan, embargoed=True) for r in releases}
    base = load_contacts(
        [root / "contacts" / "journalists.csv"],
        workspace=workspace,
        languages=[r.language for r in releases],
        default_language=releases[0].language,
    ).selected
    people = []
    for i in range(count):
        c = base[i % len(base)]
        local, _, domain = c.email.partition("@")
        email = f"{local}.{i}@{domain}"
        people.append(replace(c, email=email, address=parse_address(email), fields={**c.fields, "email": email}))
    factory = MessageFactory(
        renders, pdfs, workspace, plan, campaign_id="bench", date=dt.datetime(2030, 3, 11, tzinfo=dt.UTC)
    )
    return factory, people, renders, plan, pdfs


def from_scratch(
    renders: Mapping[str, Rendered], plan: MergePlan, pdfs: Mapping[str, bytes], people: Sequence[Contact]
) -> float:
    """The naive way, for comparison: a whole EmailMessage per contact, serialised."""
    start = time.perf_counter()
    for c in people:
        lang = c.language if c.language in renders else next(iter(renders))
        r = renders[lang]
        values = plan.values(c.fields)
        msg = EmailMessage(policy=SMTP)
        msg["From"] = "HVSP Press Office <press@hvsp.example>"
        msg["To"] = f"{c.name} <{c.email}>"
        msg["Subject"] = MergePlan.apply(r.subject, values, escape_html=False)
        msg.set_content(MergePlan.apply(r.text, values, escape_html=False))
        msg.add_alternative(MergePlan.apply(r.html, values, escape_html=True), subtype="html")
        html_part = msg.get_payload()[1]  # type: ignore[index]
        for img in r.images:
            html_part.add_related(img.data, "image", img.subtype, cid=f"<{img.cid}>", disposition="inline")
        msg.add_attachment(pdfs[lang], "application", "pdf", filename="release.pdf")
        msg.as_bytes()
    return (time.perf_counter() - start) / len(people) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--sample", action="store_true", help="the real sample release and renderer")
    parser.add_argument("--preview", type=int, default=0, metavar="N", help="also time a dry run of N")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--cpu", action="store_true",
        help="the best of 9 passes in this process's CPU time (steadier on a machine others are using)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        factory, people, renders, plan, pdfs = (sample if args.sample else synthetic)(tmp, args.count)
        factory.build(people[0])  # warm the per-language caches
        prof = cProfile.Profile() if args.profile else None
        if prof:
            prof.enable()
        clock = time.process_time if args.cpu else time.perf_counter
        per = float("inf")
        for _ in range(9 if args.cpu else 1):
            start = clock()
            sizes = 0
            for c in people:
                sizes += len(factory.build(c).data)
            per = min(per, (clock() - start) / len(people) * 1000)
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
        naive = from_scratch(renders, plan, pdfs, people[:500])
        print(
            f"{'sample release' if args.sample else 'synthetic'}: {len(people)} messages, {sizes / len(people) / 1024:.1f} KB average"
        )
        print(f"MessageFactory.build:      {per:.3f} ms/message ({1000 / per:.0f}/s)")
        print(f"EmailMessage from scratch: {naive:.3f} ms/message ({1000 / naive:.0f}/s)")
        if args.preview:
            from pressctl.send.preview import write_preview

            start = time.perf_counter()
            result = write_preview(factory, people[: args.preview], out_dir=tmp / "preview", pdfs=pdfs)
            took = time.perf_counter() - start
            print(
                f"write_preview:             {result.written} recipients in {took:.2f} s ({took / result.written * 1000:.2f} ms each)"
            )


if __name__ == "__main__":
    main()
