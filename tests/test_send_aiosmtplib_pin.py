"""The aiosmtplib fast DATA path depends on aiosmtplib internals: this fails loudly when they change.

``pressctl.send.smtp.install_fast_data_path`` replaces two module globals of ``aiosmtplib.protocol``
(``normalize_message_line_endings`` and ``PERIOD_REGEX``) that ``SMTPProtocol.execute_data_command`` looks up
for every message, and hands over messages already in wire form (dot-stuffed once, by pressctl). If a new
aiosmtplib stopped looking those names up, it would stuff the dots a second time and every line starting
with "." would arrive with two. So pyproject.toml bounds aiosmtplib to the versions tested here, and these
tests check, on the installed version, that the bound holds and the internals are where the fast path
expects them. To move to a new aiosmtplib: widen the bound, and see these pass (and tests/test_send_transport.py,
tests/test_send_wire.py, which compare the bytes).
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _declared_aiosmtplib() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (line,) = [d for d in project["dependencies"] if re.match(r"aiosmtplib\b", d)]
    return Requirement(line)


def test_aiosmtplib_is_bounded_and_the_installed_one_is_in_the_bound() -> None:
    requirement = _declared_aiosmtplib()
    assert any(spec.operator == "<" for spec in requirement.specifier), (
        f"pyproject.toml declares {requirement}: the fast DATA path patches aiosmtplib internals, "
        "so it needs an upper bound (the versions this test has passed on)"
    )
    installed = importlib.metadata.version("aiosmtplib")
    assert requirement.specifier.contains(installed), (
        f"aiosmtplib {installed} is installed but pyproject.toml declares {requirement}"
    )


def test_the_internals_the_fast_data_path_replaces_are_there_and_used() -> None:
    from aiosmtplib import protocol

    version = importlib.metadata.version("aiosmtplib")
    for name in ("normalize_message_line_endings", "PERIOD_REGEX"):
        assert hasattr(protocol, name), (
            f"aiosmtplib {version}: aiosmtplib.protocol.{name} is gone; pressctl's fast DATA path "
            "(send/transport.py install_fast_data_path) must be updated or removed before allowing this version"
        )
        looked_up = protocol.SMTPProtocol.execute_data_command.__code__.co_names
        assert name in looked_up, (
            f"aiosmtplib {version}: SMTPProtocol.execute_data_command no longer uses {name}; messages in wire "
            "form would be dot-stuffed twice. Update send/transport.py before allowing this version"
        )


def test_a_transport_installs_the_fast_path() -> None:
    from aiosmtplib import protocol

    from pressctl.config.smtp import parse_smtp_url
    from pressctl.send.smtp import SmtpTransport
    from pressctl.send.wire import normalize_line_endings

    transport = SmtpTransport(parse_smtp_url("smtp://127.0.0.1:2525"), sender="press@hvsp.example")
    assert transport.takes_wire_data, "the fast DATA path did not install: see install_fast_data_path"
    assert protocol.normalize_message_line_endings is normalize_line_endings
