"""Merge fields in their common forms are compiled once per release into plain lookups (issue 19, "speed
back"): the same value as the sandboxed Jinja evaluation for every contact, and Jinja still evaluates the rest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.release.merge import MergePlan

NAMES = ["first_name", "name", "outlet", "range", "self", "email"]
TEXTS = st.text(alphabet="ab 編輯\"'", max_size=4)


def _expr() -> st.SearchStrategy[str]:
    name = st.sampled_from(NAMES)
    const = TEXTS.map(lambda t: '"' + t.replace('"', "") + '"')
    leaf = st.one_of(name, const)
    default = st.tuples(name, st.sampled_from(["default", "d"]), const, st.sampled_from(["", ", true", ", false"])).map(
        lambda p: f"{p[0]} | {p[1]}({p[2]}{p[3]})"
    )
    return st.recursive(st.one_of(leaf, default), lambda inner: st.tuples(inner, inner).map(lambda p: f"{p[0]} or {p[1]}"), max_leaves=4)


def _jinja_values(plan: MergePlan, contact: dict[str, str]) -> dict[str, str]:
    present = {k: v for k, v in contact.items() if v not in ("", None)}
    out = {}
    for f in plan.fields:
        try:
            value = f.evaluate(**present)
        except Exception:
            value = ""
        out[f.token] = "" if value is None or type(value).__name__ == "Undefined" else str(value)
    return out


@settings(max_examples=300, deadline=None)
# (Not a column named "self": Jinja's evaluate takes it as its own argument and fails, so every field of
# such a contact came out empty there; the plain lookup reads it as any other column.)
@given(expr=_expr(), contact=st.dictionaries(st.sampled_from([n for n in NAMES if n != "self"]), TEXTS, max_size=4))
def test_a_plain_lookup_gives_what_jinja_gives(expr: str, contact: dict[str, str]) -> None:
    plan = MergePlan()
    plan.tokenize("{{ " + expr + " }}")
    assert plan.values(contact) == _jinja_values(plan, contact)


def test_the_common_forms_skip_jinja_and_the_rest_keep_it() -> None:
    plan = MergePlan()
    plan.tokenize('{{ first_name or "editor" }} {{ name }} {{ unsubscribe_token | default("") }} {{ outlet | d("x", true) }}')
    assert all(f.lookup is not None for f in plan.fields)
    other = MergePlan()
    other.tokenize("{{ name | upper }} {{ person.name }} {{ range or 'x' }} {{ first_name ~ '!' }}")
    assert all(f.lookup is None for f in other.fields)
    assert other.values({"name": "amy", "first_name": "Amy"})["PCTLM0000X"] == "AMY"
    assert plan.values({"first_name": "", "outlet": ""}) == {
        "PCTLM0000X": "editor", "PCTLM0001X": "", "PCTLM0002X": "", "PCTLM0003X": "x",
    }
