"""Least privilege (issue 17, point 9): the commands pressctl runs for the user get no secret of pressctl's,
stop with everything they started at their timeout, and what they print about a failure is redacted; the
workspace's private folder and ledger are its owner's alone; workspace templates run in Jinja's sandbox.

Through the real commands: `pressctl publish` with a `[site] deploy`, `pressctl send` logging in with an
`oauth_token_command` against a scripted Microsoft 365 server, `pressctl render` with a hostile template.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from provider_smtp import ProviderServer, microsoft365
from qa_support import ends, one_error_line, pressctl
from render_support import make_workspace
from send_support import write_contacts

from pressctl.children import child_environment, redact, withheld
from pressctl.relays.oauth import OAuthError, run_token_command

SECRETS = {
    "PRESSCTL_SMTP_PASSWORD": "smtp-Harbour-4471",
    "PRESSCTL_SMTP_PASSWORD_2": "relay2-Tide-8812",
    "PRESSCTL_IMAP_PASSWORD": "imap-Buoy-3390",
    "PRESSCTL_SMTP_OAUTH_TOKEN": "eyJhbGciOi.oauth-env-5531",
    "GITHUB_TOKEN": "ghp_0123456789abcdefABCDEF0123456789ab",
    "HVSP_RELAY_SECRET": "relay-named-Secret-7788",  # a relay's password_env
}
ORDINARY = {"HVSP_DEPLOY_TARGET": "web1.hvsp.example", "LANG": "C.UTF-8"}


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k: v for k, v in pairs}


def _append(root: Path, text: str) -> None:
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + text + "\n")


RELAY = '[[smtp.relays]]\nurl = "smtp://press@127.0.0.1:2525"\npassword_env = "HVSP_RELAY_SECRET"\n'


@pytest.mark.slow
def test_the_deploy_command_gets_no_secret_unless_named_and_its_errors_are_redacted(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    _append(root, RELAY)
    _append(root, '[site]\ndeploy = "env > ../deploy-env.txt"\n')
    done = pressctl("publish", "releases/sample.md", "--preview", cwd=root, env={**SECRETS, **ORDINARY}, timeout=180)
    assert done.returncode == 0, done.stderr
    seen = _env_file(root / "deploy-env.txt")
    assert not set(SECRETS) & set(seen), sorted(set(SECRETS) & set(seen))
    assert all(seen.get(k) == v for k, v in ORDINARY.items()) and "PATH" in seen

    # Named in [site] pass_env: that one (and only that one) goes through.
    toml = root / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('deploy = "env', 'pass_env = ["GITHUB_TOKEN"]\ndeploy = "env'), encoding="utf-8")
    done = pressctl("publish", "releases/sample.md", "--preview", cwd=root, env={**SECRETS, **ORDINARY}, timeout=180)
    assert done.returncode == 0, done.stderr
    seen = _env_file(root / "deploy-env.txt")
    assert seen["GITHUB_TOKEN"] == SECRETS["GITHUB_TOKEN"] and "PRESSCTL_SMTP_PASSWORD" not in seen

    # A failing deploy that prints a token and a password: one line, neither in it, and what was kept from it.
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'deploy = "env > ../deploy-env.txt"',
            "deploy = \"echo 'push failed: https://deploy:hunter2-Reef@git.hvsp.example/site.git "
            "Authorization: Bearer abcdef0123456789abcdef' >&2; exit 3\"",
        ).replace('pass_env = ["GITHUB_TOKEN"]\n', ""),
        encoding="utf-8",
    )
    done = pressctl("publish", "releases/sample.md", "--preview", cwd=root, env={**SECRETS, **ORDINARY}, timeout=180)
    assert done.returncode == 1
    line = one_error_line(done)
    assert "exited with status 3: push failed" in line and "hunter2-Reef" not in line
    assert "abcdef0123456789abcdef" not in line and "Bearer [redacted]" in line
    assert "pressctl kept GITHUB_TOKEN" in line and "[site] pass_env" in line
    assert not any(v in done.stderr + done.stdout for v in SECRETS.values())


@pytest.mark.slow
def test_the_token_command_gets_no_other_secret_and_its_login_works(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    token = "tok-hvsp-m365-7731"
    envfile = tmp_path / "token-env.txt"
    lists = write_contacts(root / "contacts" / "list.csv", 2)
    _append(root, f'[smtp]\nauth = "xoauth2"\noauth_token_command = "env > {envfile}; echo {token}"\n' + RELAY)
    lifted = (root / "releases" / "sample.md").read_text(encoding="utf-8").replace(
        "embargo: 2030-03-12T10:00:00+08:00", "embargo: 2026-01-05T10:00:00+08:00"
    )
    (root / "releases" / "sample.md").write_text(lifted, encoding="utf-8")
    with ProviderServer(microsoft365(tokens={token})) as server:
        done = pressctl(
            "send", "releases/sample.md", "-c", str(lists), "--smtp", server.url("press@hvsp.example"), "--yes",
            cwd=root, env={**SECRETS, **ORDINARY}, timeout=180,
        )
        assert done.returncode == 0, done.stderr
        assert len(server.accepted) == 2
    seen = _env_file(envfile)
    assert not set(SECRETS) & set(seen), sorted(set(SECRETS) & set(seen))
    assert seen.get("HVSP_DEPLOY_TARGET") == ORDINARY["HVSP_DEPLOY_TARGET"]


@pytest.mark.slow
def test_a_token_command_that_hangs_is_stopped_with_everything_it_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    with pytest.raises(OAuthError, match="did not finish in 1 s and was stopped"):
        run_token_command(f"sleep 300 & echo $! > {pidfile}; sleep 300", timeout=1)
    assert time.monotonic() - started < 15
    assert ends(int(pidfile.read_text()))  # the background child went with the shell


@pytest.mark.slow
def test_its_error_output_is_redacted_and_names_what_it_did_not_get() -> None:
    env = {**SECRETS, "PATH": os.environ["PATH"]}
    command = "echo \"login failed for $USER with eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcmVzcyJ9.c2lnbmF0dXJl\" >&2; exit 4"
    with pytest.raises(OAuthError) as info:
        run_token_command(command, env=env)
    text = str(info.value)
    assert "exit status 4" in text and "eyJhbGciOiJSUzI1NiJ9" not in text and "[redacted]" in text
    assert "GITHUB_TOKEN" in text and "[smtp] pass_env" in text
    assert "GITHUB_TOKEN" not in run_token_command("env; echo tok", env=env, pass_env=()).reveal()


def test_what_is_withheld() -> None:
    environ = {**SECRETS, **ORDINARY, "PRESSCTL_DEBUG": "1", "PRESSCTL_TEST_CACHE": "/tmp/x"}
    kept = withheld(environ, withhold=("HVSP_RELAY_SECRET",))
    assert kept == sorted(SECRETS)
    assert "GITHUB_TOKEN" not in withheld(environ, withhold=("HVSP_RELAY_SECRET",), pass_env=("GITHUB_TOKEN",))
    env = child_environment(environ, withhold=("HVSP_RELAY_SECRET",))
    assert set(env) == {*ORDINARY, "PRESSCTL_DEBUG", "PRESSCTL_TEST_CACHE"}
    assert redact("user=press password=hunter2 at https://u:p@h.example/x", ()) == (
        "user=press password=[redacted] at https://[redacted]@h.example/x"
    )
    assert redact("the value smtp-Harbour-4471 leaked", [SECRETS["PRESSCTL_SMTP_PASSWORD"]]) == "the value [redacted] leaked"
    assert redact("rsync: /srv/newsroom/releases/2030-03-12-sample: ok") == "rsync: /srv/newsroom/releases/2030-03-12-sample: ok"


# -- the workspace's private folder ----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_the_ledger_is_its_owners_alone_and_an_old_workspace_is_tightened_when_opened(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        root, _ = make_workspace(tmp_path)
        lists = write_contacts(root / "contacts" / "list.csv", 2)
        done = pressctl("send", "releases/sample.md", "-c", str(lists), "--under-embargo", "--yes", cwd=root, timeout=180)
        assert done.returncode == 0, done.stderr
        state = root / ".pressctl"
        assert _mode(state) == 0o700
        ledger = state / "ledger.sqlite3"
        assert _mode(ledger) == 0o600
        for companion in (state / "ledger.sqlite3-wal", state / "ledger.sqlite3-shm"):
            if companion.exists():
                assert _mode(companion) == 0o600, companion

        # As an older pressctl left them: open to everyone on the machine. Any command opening it tightens.
        os.chmod(state, 0o755)
        os.chmod(ledger, 0o644)
        listed = pressctl("campaigns", cwd=root)
        assert listed.returncode == 0, listed.stderr
        assert _mode(state) == 0o700 and _mode(ledger) == 0o600
        os.chmod(state, 0o755)
        assert pressctl("render", "releases/sample.md", "-o", "out", cwd=root, timeout=180).returncode == 0
        assert _mode(state) == 0o700
    finally:
        os.umask(old)


# -- templates in the sandbox ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("template", "source", "construct"),
    [
        ("email.html.j2", '<p>{{ title }}</p>\n{{ cycler.__init__.__globals__.os.system("touch MARKER") }}\n', "__init__"),
        ("email.txt.j2", '{{ title }}\n{{ "{0.__class__.__mro__}".format(title) }}\n', "__class__"),
        ("site/release.html.j2", '{{ lipsum.__globals__["os"].popen("touch MARKER").read() }}\n', "__globals__"),
        ("email.txt.j2", "x\n{% for i in range(10**9) %}.{% endfor %}\n", "range"),
    ],
)
def test_a_workspace_template_runs_in_the_sandbox(tmp_path: Path, template: str, source: str, construct: str) -> None:
    root, _ = make_workspace(tmp_path)
    target = root / "templates" / template
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace("MARKER", str(tmp_path / "pwned")), encoding="utf-8")
    command = ("publish", "releases/sample.md", "--preview") if template.startswith("site/") else (
        "render", "releases/sample.md", "-o", "out")
    done = pressctl(*command, cwd=root, timeout=180)
    assert done.returncode == 2, (done.stdout, done.stderr)
    line = one_error_line(done)
    assert f"{template}:2" in line or f"{template}:1" in line, line
    assert construct in line and "refused" in line, line
    assert not (tmp_path / "pwned").exists()
