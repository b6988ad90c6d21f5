"""The shared ledger's settings without a server: ``[ledger] url`` read and checked, its password kept out of
children's environments and out of the file, and ``pressctl ledger check`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from lift_support import invoke
from send_support import make_workspace

from pressctl.ledger import Ledger


def test_ledger_check_on_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    Ledger(ws / ".pressctl" / "ledger.sqlite3").close()
    check = invoke(ws, "ledger", "check", monkeypatch=monkeypatch)
    assert check.exit_code == 0 and "SQLite file" in check.stdout and "this machine's (a file)" in check.stdout



def test_the_ledger_password_never_reaches_a_child_and_the_url_never_holds_it(tmp_path: Path) -> None:
    from pressctl.children import child_environment
    from pressctl.config import load_workspace
    from pressctl.errors import ConfigError

    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    base = config.read_text(encoding="utf-8")
    config.write_text(base + '\n[ledger]\nurl = "postgresql://press@db.hvsp.example/pressctl?sslmode=verify-full"\n', encoding="utf-8")
    workspace = load_workspace(ws)
    assert workspace.ledger_path == "postgresql://press@db.hvsp.example/pressctl?sslmode=verify-full"
    environ = {"PRESSCTL_LEDGER_PASSWORD": "pw1", "PGPASSWORD": "pw2", "PATH": "/usr/bin"}
    assert child_environment(environ, withhold=workspace.secret_env_names) == {"PATH": "/usr/bin"}
    config.write_text(base + '\n[ledger]\nurl = "postgresql://press:hunter2@db.hvsp.example/pressctl"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_workspace(ws)
    assert "hunter2" not in str(err.value) and "PRESSCTL_LEDGER_PASSWORD" in str(err.value)
    config.write_text(base + '\n[ledger]\nurl = "shared/ledger.sqlite3"\n', encoding="utf-8")
    assert load_workspace(ws).ledger_path == ws.resolve() / "shared" / "ledger.sqlite3"


def test_an_unreachable_database_and_a_password_in_db_are_one_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    monkeypatch.setenv("PRESSCTL_LEDGER_PASSWORD", "office-pw-123")
    down = invoke(ws, "report", "--db", "postgresql://press@127.0.0.1:9/pressctl?connect_timeout=3", monkeypatch=monkeypatch)
    assert down.exit_code == 1, down.stdout + down.stderr
    lines = [line for line in down.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the ledger's database" in lines[0] and "office-pw-123" not in down.stderr
    inline = invoke(ws, "campaigns", "--db", "postgresql://press:hunter2@127.0.0.1:9/pressctl", monkeypatch=monkeypatch)
    assert inline.exit_code == 2 and "hunter2" not in inline.stdout + inline.stderr
    assert "holds a password" in inline.stderr


@pytest.mark.parametrize("url", ["postgresql://press@127.0.0.1:port/pressctl", "postgresql://press@127.0.0.1:5432/pressctl?sslmode=nonsense"])
def test_a_url_libpq_cannot_read_is_one_line(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    result = invoke(ws, "campaigns", "--db", url, monkeypatch=monkeypatch)
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr


def test_the_workspace_secret_from_secret_env_signs_alike_on_every_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``[ledger] secret_env``: two officers' folders with no ``.pressctl/secret`` sign the same unsubscribe
    tokens from the variable; it is withheld from children; missing or not a secret: one line, nothing made."""
    import base64
    import email

    from pressctl.children import child_environment
    from pressctl.config import load_workspace
    from pressctl.contacts.unsubscribe import token_for

    secret = bytes(range(32))
    tokens = []
    for officer in ("amy", "ben"):
        ws = make_workspace(tmp_path / officer)
        config = ws / "pressctl.toml"
        config.write_text(config.read_text(encoding="utf-8") + '\n[ledger]\nsecret_env = "HVSP_PRESS_SECRET"\n', encoding="utf-8")
        monkeypatch.delenv("HVSP_PRESS_SECRET", raising=False)
        refused = invoke(ws, "send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run", monkeypatch=monkeypatch)
        assert refused.exit_code == 2 and "HVSP_PRESS_SECRET, which is not set" in refused.output, refused.output
        monkeypatch.setenv("HVSP_PRESS_SECRET", "c2hvcnQ=")  # base64 of b"short"
        refused = invoke(ws, "send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run", monkeypatch=monkeypatch)
        assert refused.exit_code == 2 and "does not hold a workspace secret" in refused.output, refused.output
        monkeypatch.setenv("HVSP_PRESS_SECRET", base64.b64encode(secret).decode())
        done = invoke(ws, "send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run", monkeypatch=monkeypatch)
        assert done.exit_code == 0, done.output
        assert not (ws / ".pressctl" / "secret").exists()
        first = sorted((ws / "out").rglob("*.eml"))[0]
        msg = email.message_from_bytes(first.read_bytes())
        tokens.append(str(msg["List-Unsubscribe"]))
        workspace = load_workspace(ws)
        environ = {"HVSP_PRESS_SECRET": "x", "PATH": "/usr/bin"}
        assert child_environment(environ, withhold=workspace.secret_env_names) == {"PATH": "/usr/bin"}
    assert tokens[0] == tokens[1]
    recipient = email.utils.parseaddr(str(msg["To"]))[1]
    assert token_for(recipient, secret) in tokens[0]
