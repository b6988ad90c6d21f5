"""SpamAssassin's score for one message of each language, for the dry run's page (when it is installed).

Run as ``spamassassin -L -t`` (local tests only: no network, no DNS blocklists), one process per language at
once, each with pressctl's environment less its secrets (:mod:`pressctl.children`). ``PRESSCTL_SPAMASSASSIN``
names another program, or ``off`` for none (a dry run is then ~1-2 s faster).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pressctl.children import child_environment, run_tool

__all__ = ["IGNORED_RULES", "SpamScore", "spam_program", "spam_scores"]

# Mail from this machine to itself scores ALL_TRUSTED (FACTS.md): no reader's filter would see that.
IGNORED_RULES = ("ALL_TRUSTED",)
_STATUS = re.compile(r"^X-Spam-Status: \w+, score=(-?[\d.]+) required=(-?[\d.]+)(?: tests=(.*?))?(?:autolearn|version|$)", re.S | re.M)


@dataclass(frozen=True)
class SpamScore:
    """The score, the score SpamAssassin marks spam at, and the rules that fired (ALL_TRUSTED left out)."""

    score: float
    required: float
    rules: tuple[str, ...]

    def line(self) -> str:
        verdict = "would be marked spam" if self.score >= self.required else "not spam"
        fired = f": {', '.join(self.rules)}" if self.rules else ""
        return f"{self.score or 0.0:g} points ({verdict} at {self.required:g}){fired}"


def spam_program(environ: Mapping[str, str]) -> str | None:
    """The SpamAssassin to run: ``PRESSCTL_SPAMASSASSIN`` (``off``: none), else ``spamassassin`` on PATH."""
    chosen = environ.get("PRESSCTL_SPAMASSASSIN", "").strip()
    if chosen.lower() in ("off", "no", "0", "false"):
        return None
    return shutil.which(chosen or "spamassassin", path=environ.get("PATH"))


def _parse(output: str) -> SpamScore | None:
    head = output.partition("\n\n")[0].replace("\n\t", " ").replace("\n ", " ")
    found = _STATUS.search(head)
    if found is None:
        return None
    rules = tuple(r for r in re.split(r"[,\s]+", found.group(3) or "") if r and r not in IGNORED_RULES)
    score = float(found.group(1)) + 0.0  # "-0.0" reads as 0
    return SpamScore(score=score, required=float(found.group(2)), rules=rules)


def spam_scores(
    messages: Mapping[str, bytes], *, program: str, environ: Mapping[str, str], withhold: Iterable[str] = (),
    timeout: float = 120,
) -> dict[str, SpamScore | str]:
    """Each message's score by language, or the line saying why there is none."""
    env = child_environment(environ, withhold=withhold)

    def one(message: bytes) -> SpamScore | str:
        try:
            done = run_tool([program, "-L", "-t"], timeout=timeout, stdin=message, env=env)
        except OSError as exc:
            return f"SpamAssassin could not be run ({exc.strerror})"
        if done.timed_out:
            return f"SpamAssassin took longer than {timeout:g} s"
        score = _parse(done.stdout.decode("utf-8", "replace"))
        return score if score is not None else "SpamAssassin gave no score"

    # Each language's at once (a few seconds each): the threads wait on the children.
    with ThreadPoolExecutor(max_workers=max(1, len(messages))) as pool:
        futures = {language: pool.submit(one, message) for language, message in messages.items()}
        return {language: future.result() for language, future in futures.items()}
