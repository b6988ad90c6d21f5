"""The deploy command (in the site folder, a timeout, one-line failures) and the 127.0.0.1 static server."""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from qa_support import ends

from pressctl.errors import InputError
from pressctl.site.deploy import DeployError, deploy
from pressctl.site.serve import make_server, serving


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "releases" / "x").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>HVSP</title>", encoding="utf-8")
    (site / "feed.xml").write_bytes(b"<feed/>")
    (site / "sitemap.xml").write_bytes(b"<urlset/>")
    (site / "releases" / "x" / "index.zh-HK.html").write_text("海景科學園", encoding="utf-8")
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[core]", encoding="utf-8")
    (site / ".secret").write_text("token", encoding="utf-8")
    return site


@pytest.mark.slow
def test_deploy_runs_the_command_in_the_site_folder(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = deploy('pwd > "$OUT"; ls index.html; echo done >&2', site, env={**os.environ, "OUT": str(tmp_path / "pwd.txt")})
    assert (tmp_path / "pwd.txt").read_text().strip() == str(site)
    assert result.returncode == 0 and result.stdout.strip() == "index.html" and result.stderr.strip() == "done"


@pytest.mark.slow
def test_a_failed_deploy_is_one_line_with_status_and_last_error_line(tmp_path: Path) -> None:
    site = _site(tmp_path)
    with pytest.raises(DeployError) as err:
        deploy("echo copying; echo 'rsync: connection refused' >&2; echo 'rsync error: code 10' >&2; exit 10", site)
    message = str(err.value)
    assert "\n" not in message
    assert "exited with status 10" in message and "rsync error: code 10" in message
    assert err.value.exit_code == 1


@pytest.mark.slow
def test_a_deploy_that_hangs_is_stopped_with_everything_it_started(tmp_path: Path) -> None:
    site = _site(tmp_path)
    marker = tmp_path / "child.pid"
    with pytest.raises(DeployError) as err:
        deploy(f"sleep 300 & echo $! > {marker}; echo 'waiting for host' >&2; wait", site, timeout=1)
    assert "did not finish within 1 s" in str(err.value) and "waiting for host" in str(err.value)
    child = int(marker.read_text())

    # The background child is gone too (killed with the process group), not left running.
    assert ends(child)


@pytest.mark.slow
def test_deploy_needs_a_command_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DeployError):
        deploy("  ", _site(tmp_path))
    with pytest.raises(DeployError) as err:
        deploy("true", tmp_path / "nowhere")
    assert "does not exist" in str(err.value)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def test_serve_serves_the_folder_on_loopback_only(tmp_path: Path) -> None:
    site = _site(tmp_path)
    with serving(site) as server:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1" and server.url == f"http://127.0.0.1:{port}/"
        status, kind, body = _get(server.url + "index.html")
        assert status == 200 and kind == "text/html; charset=utf-8" and b"HVSP" in body
        status, _, body = _get(server.url + "releases/x/index.zh-HK.html")
        assert status == 200 and body.decode("utf-8") == "海景科學園"
        assert _get(server.url + "feed.xml")[1] == "application/atom+xml"
        assert _get(server.url + "sitemap.xml")[1] == "application/xml"
        # Hidden files (a .git folder, anything dotted), spelt plainly or percent-encoded: not served.
        for path in (".git/config", ".secret", "%2esecret", "releases/../.secret"):
            assert _get(server.url + path)[0] == 404, path
        assert _get(server.url + "missing.html")[0] == 404
    # Not reachable on another address of this machine.
    with serving(site) as server:
        port = server.server_address[1]
        addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
        for address in addresses - {"127.0.0.1"}:
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
                pass


def test_serve_reports_a_taken_port_and_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    site = _site(tmp_path)
    with serving(site) as server:
        port = server.server_address[1]
        with pytest.raises(InputError) as err:
            make_server(site, port=port)
        assert f"127.0.0.1:{port}" in str(err.value) and "--port" in str(err.value)
    with pytest.raises(InputError):
        make_server(tmp_path / "nowhere")
