"""Who is greeted without a name ("Dear editor,", "編輯您好："), and why: for ``contacts check --release``.
Pure.

Each contact is judged against the version they receive, as the message builder greets them: the
greeting's own merge fields filled from their row (``Rendered.greeting_tokens``), or its fallbacks alone
for a reader of another language's version (``languages.routing.greets_by_name``). A greeting that comes out the
same as for nobody at all is a fallback; the reason comes from reading their name (``contacts.names``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pressctl.contacts.names import read_name
from pressctl.contacts.segments import wanted_language
from pressctl.languages.routing import greets_by_name, route_language
from pressctl.languages.tags import language_name
from pressctl.model import Contact, Rendered
from pressctl.release.merge import MergePlan

__all__ = ["GreetingFallback", "greeting_fallbacks"]


@dataclass(frozen=True)
class GreetingFallback:
    """One contact greeted with the fallback only: the line they get, and why."""

    contact: Contact
    language: str  # the version they get
    greeting: str  # "Dear editor,"
    why: str


def _why(contact: Contact, variables: frozenset[str]) -> str:
    reading = read_name(contact.fields)
    if "first_name" in variables and reading.why_no_given:
        return reading.why_no_given
    if variables & {"name", "first_name", "last_name", "chinese_name"} and not any(
        contact.fields.get(v) for v in variables
    ):
        return reading.why_no_given or "no name in the row"
    return "no value in " + ", ".join(sorted(variables))


def greeting_fallbacks(
    contacts: Sequence[Contact], plan: MergePlan, renders: Mapping[str, Rendered]
) -> list[GreetingFallback]:
    """Every contact whose greeting is the fallback alone, in list order (see the module docstring).
    ``renders`` maps each language to its rendered email, the release's own language first."""
    if not renders:
        return []
    versions = list(renders)
    per_version = {}
    for language, rendered in renders.items():
        own = MergePlan(fields=[f for f in plan.fields if f.token in rendered.greeting_tokens])
        blank = own.blank()
        per_version[language] = (rendered, own, blank, MergePlan.apply(rendered.greeting, blank, escape_html=False))
    found = []
    for contact in contacts:
        language = route_language(contact.language, versions, versions[0])
        rendered, own, blank, fallback = per_version[language]
        if not own.fields:
            continue  # a greeting without merge fields greets everyone alike
        wanted = wanted_language(contact.fields, None) or contact.language
        if not greets_by_name(wanted, language):
            why = f"gets the {language_name(language)} version, not one in their own language: greeted without a name"
            found.append(GreetingFallback(contact, language, fallback, why))
            continue
        if own.values(contact.fields) == blank:
            variables = frozenset().union(*(f.variables for f in own.fields))
            found.append(GreetingFallback(contact, language, fallback, _why(contact, variables)))
    return found
