"""How long building one recipient's message takes (issue 3 item 6; FACTS.md "Where the time goes").

Run: ``.venv/bin/python bench/bench_messages.py [--count N] [--profile]``. Builds N messages (half English,
half Chinese, each with a 60 KB PDF and an inline image, ~90 KB per message) with ``MessageFactory`` and,
for comparison, the same message from scratch with ``EmailMessage`` + ``as_bytes()``. Prints ms/message.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from messages_support import contact, fake_pdf

from pressctl.merge import MergePlan
from pressctl.model import Contact


def contacts(count: int) -> list[Contact]:
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
    return out


def from_scratch(factory_args: dict[str, object], people: list[Contact], pdf: bytes) -> float:
    """The naive way, for comparison: a full EmailMessage per contact."""
    from messages_support import make_renders

    renders, plan = make_renders(paragraphs=int(factory_args["paragraphs"]))  # type: ignore[call-overload]
    start = time.perf_counter()
    for c in people:
        r = renders["zh-HK" if c.language == "zh-HK" else "en"]
        values = plan.values(c.fields)
        msg = EmailMessage(policy=SMTP)
        msg["From"] = "HVSP Press Office <press@hvsp.example>"
        msg["To"] = f"{c.name} <{c.email}>"
        msg["Subject"] = MergePlan.apply(r.subject, values, escape_html=False)
        msg.set_content(MergePlan.apply(r.text, values, escape_html=False))
        msg.add_alternative(MergePlan.apply(r.html, values, escape_html=True), subtype="html")
        for img in r.images:
            msg.get_payload()[1].add_related(
                img.data, "image", img.subtype, cid=f"<{img.cid}>", disposition="inline"
            )  # type: ignore[index]
        msg.add_attachment(pdf, "application", "pdf", filename="tidal-bay.pdf")
        msg.as_bytes()
    return (time.perf_counter() - start) / len(people) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--paragraphs", type=int, default=40, help="body size (40 gives ~90 KB messages)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    people = contacts(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        from messages_support import DATE, make_renders, make_workspace

        from pressctl.messages import MessageFactory

        renders, plan = make_renders(paragraphs=args.paragraphs)
        pdfs = {"en": fake_pdf(seed="en"), "zh-HK": fake_pdf(seed="zh")}
        t0 = time.perf_counter()
        factory = MessageFactory(
            renders, pdfs, make_workspace(Path(tmp)), plan, campaign_id="bench", date=DATE
        )
        setup_ms = (time.perf_counter() - t0) * 1000
        factory.build(people[0])  # warm caches
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
        start = time.perf_counter()
        sizes = 0
        for c in people:
            sizes += len(factory.build(c).data)
        per = (time.perf_counter() - start) / len(people) * 1000
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
        naive = from_scratch({"paragraphs": args.paragraphs}, people[: min(500, len(people))], pdfs["en"])
    print(f"factory setup (2 languages): {setup_ms:.1f} ms")
    print(
        f"MessageFactory.build: {per:.3f} ms/message, {sizes / len(people) / 1024:.1f} KB average, {args.count} messages"
    )
    print(f"EmailMessage from scratch:  {naive:.3f} ms/message")


if __name__ == "__main__":
    main()
