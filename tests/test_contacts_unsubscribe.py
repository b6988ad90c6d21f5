"""pressctl.contacts.unsubscribe: the workspace secret (a regular 0600 file or a clear refusal with the command
that fixes it; a FIFO never hangs ``send``), tokens in the List-Unsubscribe mailto and found again in a reply."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release

from pressctl.contacts.unsubscribe import (
    find_tokens,
    is_token,
    load_or_create_secret,
    load_secret,
    token_for,
)
from pressctl.errors import ConfigError
from pressctl.mailto import mailto_with_token

TOKEN = token_for("amy.chan@harbourdaily.example", b"0123456789abcdef0123456789abcdef")


def test_a_new_secret_is_a_0600_file_and_is_read_back(tmp_path: Path) -> None:
    made = load_or_create_secret(tmp_path / ".pressctl")
    path = tmp_path / ".pressctl" / "secret"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_secret(tmp_path / ".pressctl") == made == load_or_create_secret(tmp_path / ".pressctl")


def test_no_secret_is_none_for_a_reader_and_is_never_made(tmp_path: Path) -> None:
    assert load_secret(tmp_path / ".pressctl") is None
    assert not (tmp_path / ".pressctl").exists()


@pytest.mark.parametrize(
    ("make", "words", "fix"),
    [
        (lambda p: (p.write_bytes(os.urandom(32)), p.chmod(0o644)), "can be read by other users (mode 0644)", "chmod 600"),
        (lambda p: os.mkfifo(p, 0o600), "is not a regular file", "mv "),
        (lambda p: p.mkdir(), "is not a regular file", "mv "),
        (lambda p: p.symlink_to("/dev/zero"), "is not a regular file", "mv "),
        (lambda p: (p.write_bytes(b"short"), p.chmod(0o600)), "too short", "Restore it"),
    ],
)
def test_a_secret_that_is_not_a_regular_0600_file_is_refused_with_the_fix(tmp_path: Path, make, words: str, fix: str) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / ".pressctl"
    state.mkdir()
    make(state / "secret")
    for load in (load_secret, load_or_create_secret):
        with pytest.raises(ConfigError) as info:
            load(state)
        assert words in str(info.value) and fix in str(info.value)


def test_a_link_to_a_private_secret_elsewhere_is_fine_a_dangling_one_is_refused(tmp_path: Path) -> None:
    kept = tmp_path / "vault" / "hvsp-secret"
    kept.parent.mkdir()
    kept.write_bytes(os.urandom(32))
    kept.chmod(0o600)
    state = tmp_path / ".pressctl"
    state.mkdir()
    (state / "secret").symlink_to(kept)
    assert load_or_create_secret(state) == kept.read_bytes()
    kept.unlink()
    with pytest.raises(ConfigError, match="link to a file that is not there"):
        load_or_create_secret(state)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "0644"])
def test_send_with_a_bad_secret_is_one_line_and_never_hangs(tmp_path: Path, kind: str) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    secret = ws / ".pressctl" / "secret"
    secret.parent.mkdir(exist_ok=True)
    if kind == "fifo":
        os.mkfifo(secret, 0o600)
    else:
        secret.write_bytes(os.urandom(32))
        secret.chmod(0o644)
    done = run_cli(["send", str(release), "-c", str(lists), "--yes"], cwd=ws, timeout=60)
    assert done.returncode == 2, (done.stdout, done.stderr)
    [line] = [x for x in done.stderr.splitlines() if "error" in x]  # one line (after the outbox warning)
    assert line.startswith("error:") and "Traceback" not in done.stderr
    assert str(secret) in line and ("chmod 600" in line if kind == "0644" else f"mv {secret}" in line)
    assert not list((ws / "outbox").glob("*/*")) if (ws / "outbox").exists() else True


@pytest.mark.parametrize(
    ("mailto", "expected"),
    [
        ("mailto:unsubscribe@hvsp.example", f"mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{TOKEN}"),
        ("mailto:u@hvsp.example?subject=stop", f"mailto:u@hvsp.example?subject=stop%20{TOKEN}"),
        ("mailto:u@hvsp.example?body=x", f"mailto:u@hvsp.example?body=x&subject=unsubscribe%20{TOKEN}"),
        ("mailto:unsubscribe+{token}@hvsp.example", f"mailto:unsubscribe+{TOKEN}@hvsp.example"),
    ],
)
def test_the_mailto_carries_the_token(mailto: str, expected: str) -> None:
    assert mailto_with_token(mailto, TOKEN) == expected
    assert mailto_with_token(mailto, "") == mailto


def test_tokens_are_found_as_whole_words_only() -> None:
    assert is_token(TOKEN) and not is_token(TOKEN + "x") and not is_token("amy@harbourdaily.example")
    assert find_tokens([f"unsubscribe {TOKEN}", f"https://x/u?t={TOKEN}", "a" * 23, TOKEN]) == (TOKEN,)
