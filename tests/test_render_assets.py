"""Issue 8: a release reads files from its workspace only, and rendering never touches the network.

A real HTTP server on 127.0.0.1 (http.server in a thread) must see no request while a release that points
at it is rendered, dry-run and sent; files outside the workspace (absolute, ../, symlinks) are refused
with one line naming the key and line unless ``[assets] allow`` names their folder.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qa_support import one_error_line, pressctl, workspace

pytestmark = pytest.mark.slow


class _Server:
    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b"\x89PNG\r\n" if self.path.endswith(".png") else b"p { color: red }"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


def _release(root: Path, extra: str = "", body: str = "Harbourview Science Park opened a test bay.\n") -> str:
    (root / "releases" / "t.md").write_text(
        f"---\ntitle: HVSP test bay\ndate: 2026-03-12\n{extra}---\n\n{body}", encoding="utf-8"
    )
    return "releases/t.md"


_COMMANDS = (
    ("render", "{r}", "-o", "out"),
    ("send", "{r}", "-c", "contacts/journalists.csv", "--dry-run", "--out", "out/preview"),
    ("send", "{r}", "-c", "contacts/journalists.csv", "--yes"),  # no [smtp]: the local outbox
)


def _all_refused(root: Path, release: str, expected: str) -> None:
    for command in _COMMANDS:
        args = [a.format(r=release) for a in command]
        proc = pressctl(*args, cwd=root)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert expected in one_error_line(proc), args
    assert not (root / "outbox" / "new").exists() or not any((root / "outbox" / "new").iterdir())


def test_remote_body_image_is_refused_and_never_fetched(tmp_path: Path, web: _Server) -> None:
    root = workspace(tmp_path)
    release = _release(root, body=f"Text.\n\n![The bay]({web.url}/bay.png)\n")
    _all_refused(root, release, "is not a file in the workspace")
    proc = pressctl("render", release, "-o", "out", cwd=root)
    assert "releases/t.md:8" in one_error_line(proc) and "Download the file" in proc.stderr
    assert web.requests == []


def test_template_css_and_svg_fetch_nothing(tmp_path: Path, web: _Server) -> None:
    root = workspace(tmp_path)
    release = _release(root)
    # An SVG inside the workspace that pulls a loopback URL and a file outside it.
    (root / "templates" / "pull.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
        f'<image href="{web.url}/svg.png" width="10" height="10"/>'
        '<image xlink:href="file:///etc/hostname" width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    base_css = (Path(__file__).parents[1] / "templates" / "print.css").read_text(encoding="utf-8")
    for extra in (
        f'@import url("{web.url}/print.css");\n',
        f"body {{ background: url({web.url}/bg.png) }}\n",
        "body { background: url(pull.svg) }\n",  # relative to the release's folder: not there
        f"body {{ background: url(file://{root}/templates/pull.svg) }}\n",
        "body { background: url(file:///etc/hostname) }\n",
    ):
        (root / "templates" / "print.css").write_text(extra + base_css, encoding="utf-8")
        proc = pressctl("render", release, "-o", "out", "--lang", "en", cwd=root)
        assert proc.returncode == 2, (extra, proc.stderr)
        assert "which pressctl does not fetch" in one_error_line(proc), extra
        assert not (root / "out").exists()
    (root / "templates" / "print.css").unlink()
    email_css = (Path(__file__).parents[1] / "templates" / "email.css").read_text(encoding="utf-8")
    (root / "templates" / "email.css").write_text(f'@import url("{web.url}/email.css");\n' + email_css, encoding="utf-8")
    _all_refused(root, release, "the email would refer to a loopback address")
    assert web.requests == []


def test_email_html_keeps_no_loopback_link(tmp_path: Path, web: _Server) -> None:
    root = workspace(tmp_path)
    release = _release(root, body=f"See [the page]({web.url}/page).\n")
    _all_refused(root, release, "the email would refer to a loopback address")
    assert web.requests == []


def test_attachments_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "factsheet.pdf").write_bytes(b"%PDF-1.4 HVSP fact sheet\n")
    (root / "releases" / "link.pdf").symlink_to(outside / "factsheet.pdf")
    for value in ("../../shared/factsheet.pdf", str(outside / "factsheet.pdf"), "/etc/hostname", "link.pdf"):
        release = _release(root, f"attachments: [{value!r}]\n")
        _all_refused(root, release, "is outside the workspace")
        line = one_error_line(pressctl("render", release, cwd=root))
        assert "releases/t.md:4: attachment" in line and "[assets] allow" in line
    release = _release(root, "photos:\n  - src: ../../shared/bay.jpg\n    alt: The bay\n")
    assert "photo 1 '../../shared/bay.jpg' is outside the workspace" in one_error_line(pressctl("render", release, cwd=root))
    release = _release(root, body="![The bay](../../shared/bay.jpg)\n")
    assert "body image '../../shared/bay.jpg' is outside the workspace" in one_error_line(
        pressctl("render", release, cwd=root)
    )


def test_assets_allow_opts_a_folder_in_and_attachments_are_listed(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "factsheet.pdf").write_bytes(b"%PDF-1.4 HVSP fact sheet\n" * 100)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[assets]\nallow = ["../shared"]\n')
    release = _release(root, f"attachments: [{str(shared / 'factsheet.pdf')!r}]\n")
    proc = pressctl("send", release, "-c", "contacts/journalists.csv", "--dry-run", "--out", "out/p", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "factsheet.pdf (2.5 KB)" in proc.stdout
    index = (root / "out" / "p" / "index.html").read_text(encoding="utf-8")
    assert "factsheet.pdf" in index and "2.5 KB" in index
    proc = pressctl("send", release, "-c", "contacts/journalists.csv", "--yes", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "factsheet.pdf (2.5 KB)" in proc.stdout


def test_logo_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    toml = root / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'logo = "brand/logo.png"' in text
    toml.write_text(text.replace('logo = "brand/logo.png"', 'logo = "/etc/hostname"'), encoding="utf-8")
    proc = pressctl("render", "releases/sample.md", cwd=root)
    assert proc.returncode == 2 and "brand.logo '/etc/hostname' is outside the workspace" in one_error_line(proc)


def test_local_body_image_is_embedded(tmp_path: Path) -> None:
    import email

    root = workspace(tmp_path)
    release = _release(root, body="Text.\n\n![The test bay at dusk](photos/test-bay.jpg)\n")
    proc = pressctl("send", release, "-c", "contacts/journalists.csv", "--dry-run", "--out", "out/p", cwd=root)
    assert proc.returncode == 0, proc.stderr
    eml = next((root / "out" / "p" / "messages").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes())
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert 'src="cid:body1.t@pressctl"' in html and "photos/test-bay.jpg" not in html
    assert any(p.get("Content-ID") == "<body1.t@pressctl>" for p in msg.walk())
    proc = pressctl("render", release, "-o", "out", "--lang", "en", cwd=root)
    assert proc.returncode == 0, proc.stderr


def test_photo_decompression_bomb_is_one_line(tmp_path: Path) -> None:
    from PIL import Image

    root = workspace(tmp_path)
    Image.new("1", (12_000, 12_000)).save(root / "releases" / "photos" / "bomb.png")  # 144 Mpx, ~20 KB
    release = _release(root, "photos:\n  - src: photos/bomb.png\n    alt: Nothing\n")
    for args in (("render", release), ("send", release, "-c", "contacts/journalists.csv", "--dry-run")):
        proc = pressctl(*args, cwd=root)
        assert proc.returncode == 2, proc.stderr
        line = one_error_line(proc)
        assert "bomb.png" in line and "image_pixels" in line


@pytest.mark.parametrize(
    "embargo", ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+08:00"]
)
def test_absurd_embargo_is_one_line(tmp_path: Path, embargo: str) -> None:
    root = workspace(tmp_path)
    release = _release(root, f"embargo: {embargo}\n")
    for args in (
        ("render", release),
        ("send", release, "-c", "contacts/journalists.csv", "--dry-run"),
        ("send", release, "-c", "contacts/journalists.csv", "--yes", "--under-embargo"),
        ("schedule", release, "-c", "contacts/journalists.csv"),
    ):
        proc = pressctl(*args, cwd=root)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "releases/t.md:4: 'embargo'" in one_error_line(proc)
    assert not any((root / ".pressctl").glob("jobs/*"))


def test_body_images_go_into_job_snapshots(tmp_path: Path) -> None:
    from pressctl.config import load_workspace
    from pressctl.release.load import load_release_set
    from pressctl.schedule.snapshot import release_files

    root = workspace(tmp_path)
    release = root / _release(root, body="Text.\n\n![The bay](photos/test-bay.jpg)\n")
    files = release_files(load_release_set(release, load_workspace(root)))
    assert ("photo", (root / "releases" / "photos" / "test-bay.jpg").resolve()) in files
