"""The preview page: a shell (``page``) whose ``<main>`` holds a fragment (``fragment``) that the page's
script swaps for a new one when the server says a new version is ready (server-sent events), keeping the
scroll position. Pure: HTML from a :class:`~pressctl.preview.build.Built`."""

from __future__ import annotations

import hashlib
from html import escape

from pressctl.preview.shown import Built, InboxView, LanguageView

__all__ = ["SCRIPT", "fragment", "page"]

_STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
  color:#1b1f24;background:#f4f5f7}
main{max-width:1400px;margin:0 auto;padding:12px}
h1{font-size:1.4rem;margin:.2em 0 .4em;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.2em 0 .4em;border-bottom:2px solid #1b1f24;overflow-wrap:anywhere}
h3{font-size:1rem;margin:1em 0 .3em}
.card{background:#fff;border:1px solid #c9ced6;border-radius:6px;padding:12px;margin:12px 0;min-width:0}
.alert{background:#fff0f0;border:2px solid #a4161a;color:#6b0d10;padding:12px;border-radius:6px;overflow-wrap:anywhere;
  font-weight:600}
.ok{color:#0f5132}.todo{color:#6b0d10}
.langs{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(min(100%,640px),1fr))}
.frames{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.frame{max-width:100%;overflow-x:auto;min-width:0}
.frame iframe{display:block;border:1px solid #c9ced6;background:#fff;height:640px}
.phone iframe{width:375px;max-width:100%}
.desktop iframe{width:640px}
.newsroom iframe{width:100%;min-width:320px;height:720px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fbfbfc;border:1px solid #c9ced6;padding:8px;margin:0;
  font:14px/1.45 ui-monospace,"Noto Sans Mono",monospace}
.pages{display:flex;flex-wrap:wrap;gap:8px}
.pages figure{margin:0;max-width:100%}
.pages img{display:block;max-width:100%;height:auto;border:1px solid #c9ced6;background:#fff}
figcaption{font-size:.85rem;color:#3d434b}
ul{padding-left:1.2em;margin:.3em 0}
li{overflow-wrap:anywhere}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #dde1e6}
.inbox button{font:inherit;padding:6px 12px;border:2px solid #1b1f24;border-radius:6px;background:#fff;color:#1b1f24;
  cursor:pointer;margin-top:6px}
.inbox button:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.inbox button[disabled]{cursor:progress;color:#3d434b;border-color:#6b7280}
footer{max-width:1400px;margin:0 auto;padding:0 12px 24px;color:#3d434b}
.stale{opacity:.75}
"""

SCRIPT = """(function () {
  var main = document.getElementById('content');
  var status = document.getElementById('status');
  var version = Number(main.dataset.version);
  var pending = null;
  function fit(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) {
        frame.style.height = Math.max(200, doc.documentElement.scrollHeight + 4) + 'px';
      }
    } catch (e) { /* another origin: keep the height */ }
  }
  function watchFrames(heights) {
    main.querySelectorAll('iframe[data-fit]').forEach(function (frame) {
      if (frame.dataset.watched) { return; }
      frame.dataset.watched = '1';
      if (heights && heights[frame.id]) { frame.style.height = heights[frame.id]; }
      frame.addEventListener('load', function () { fit(frame); });
      fit(frame);
    });
  }
  function refresh(wanted) {
    fetch('/fragment?v=' + wanted, {cache: 'no-store'}).then(function (response) {
      return response.text();
    }).then(function (html) {
      var heights = {};
      main.querySelectorAll('iframe[data-fit]').forEach(function (f) { heights[f.id] = f.style.height; });
      var x = window.scrollX, y = window.scrollY;
      var fresh = document.createElement('template');
      fresh.innerHTML = html;
      var ids = function (root) {
        return Array.from(root.querySelectorAll('[data-block]')).map(function (b) { return b.id; }).join(' ');
      };
      var sameShape = !main.querySelector('#error') && !fresh.content.querySelector('#error') &&
        ids(main) === ids(fresh.content) && ids(main) !== '';
      if (sameShape) {
        // Only the parts that changed: an unchanged email frame is not reloaded, an unchanged page image not fetched.
        fresh.content.querySelectorAll('[data-block]').forEach(function (block) {
          var old = document.getElementById(block.id);
          if (old.dataset.digest !== block.dataset.digest) { old.replaceWith(block); }
        });
        var h1 = fresh.content.querySelector('h1');
        if (h1) { main.querySelector('h1').textContent = h1.textContent; }
      } else {
        main.innerHTML = html;
      }
      main.dataset.version = String(wanted);
      var heading = main.querySelector('h1');
      if (heading) { document.title = heading.textContent; }
      watchFrames(heights);
      window.scrollTo(x, y);
      status.textContent = 'Updated at ' + new Date().toLocaleTimeString() + ' (version ' + wanted + ').';
      if (pending !== null && pending !== wanted) { var next = pending; pending = null; refresh(next); }
      else { pending = null; }
    }).catch(function () { status.textContent = 'Could not fetch the new version; save again to retry.'; });
  }
  main.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('#score-spam') : null;
    if (!button) { return; }
    button.disabled = true;
    button.textContent = 'Scoring...';
    fetch('/inbox/score', {method: 'POST', headers: {'X-Pressctl-Preview': '1'}}).catch(function () {
      status.textContent = 'Could not ask for the score: is pressctl preview still running?';
    });
  });
  watchFrames(null);
  var events = new EventSource('/events');
  events.addEventListener('version', function (event) {
    var wanted = Number(event.data);
    if (wanted === version) { return; }
    version = wanted;
    if (pending !== null) { pending = wanted; return; }
    pending = wanted;
    refresh(wanted);
  });
  events.addEventListener('open', function () {
    status.textContent = 'Watching the release for changes: save it and this page updates by itself.';
  });
  events.addEventListener('error', function () {
    status.textContent = 'Not connected: is pressctl preview still running? (it reconnects by itself)';
  });
})();
"""


def _size(size: int) -> str:
    if size < 0:
        return "unreadable"
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


_V = "__VERSION__"


def _block(ident: str, markup: str, version: int, *content: bytes) -> str:
    """A part of the page the script replaces only when its digest changes (an unchanged email frame is not
    reloaded, an unchanged PDF page not fetched again). ``markup`` holds ``__VERSION__`` where URLs carry it."""
    digest = hashlib.sha256(markup.encode())
    for part in content:
        digest.update(hashlib.sha256(part).digest())
    return (
        f'<div id="{ident}" data-block data-digest="{digest.hexdigest()[:16]}">'
        f"{markup.replace(_V, str(version))}</div>"
    )


def _language(view: LanguageView, version: int, site_page: bytes) -> str:
    tag = escape(view.language)
    lang = escape(view.html_lang)
    name = escape(f"{view.name} ({view.language})")
    pages = "".join(
        f'<figure><img src="/pdf/{tag}/{p.number}.jpg?v={_V}" width="700" '
        f'alt="{escape(f"PDF page {p.number} of {view.page_count}: {p.text}" if p.text else f"PDF page {p.number} of {view.page_count}")}">'
        f"<figcaption>Page {p.number} of {view.page_count}</figcaption></figure>"
        for p in view.pages
    )
    more = (
        f"<p>The first {len(view.pages)} of {view.page_count} pages are shown.</p>"
        if view.page_count > len(view.pages)
        else ""
    )
    subject = f'<h3>Subject</h3><p lang="{lang}" class="subject">{escape(view.subject)}</p>'
    email = f"""<h3>Email</h3>
<div class="frames">
<figure class="frame phone" role="group" aria-labelledby="cap-phone-{tag}" tabindex="0" style="margin:0">
<figcaption id="cap-phone-{tag}">On a phone (375 px)</figcaption>
<iframe id="email-phone-{tag}" data-fit title="Email in {name}, phone width" src="/email/{tag}.html?v={_V}"></iframe></figure>
<figure class="frame desktop" role="group" aria-labelledby="cap-desk-{tag}" tabindex="0" style="margin:0">
<figcaption id="cap-desk-{tag}">On a desktop (640 px)</figcaption>
<iframe id="email-desktop-{tag}" data-fit title="Email in {name}, desktop width" src="/email/{tag}.html?v={_V}"></iframe></figure>
</div>"""
    text = f'<h3>Plain text</h3><pre lang="{lang}" class="text">{escape(view.text)}</pre>'
    pdf = (
        f'<h3>PDF ({view.page_count} page{"s" if view.page_count != 1 else ""}, {_size(view.pdf_size)})'
        f'{" (updating...)" if view.pdf_pending else ""}</h3><div class="pages">{pages}</div>{more}'
    )
    site = f"""<h3>Newsroom page</h3>
<div class="frame newsroom" role="group" aria-label="Newsroom page in {name}" tabindex="0">
<iframe id="site-{tag}" title="Newsroom page in {name}" src="/{escape(view.newsroom)}?v={_V}"></iframe></div>"""
    return (
        f'<section class="card" id="lang-{tag}" aria-labelledby="h-{tag}"><h2 id="h-{tag}">{name}</h2>'
        + _block(f"subject-{tag}", subject, version)
        + _block(f"email-{tag}", email, version, view.email_html.encode())
        + _block(f"text-{tag}", text, version)
        + _block(f"pdf-{tag}", pdf, version, *(p.jpeg for p in view.pages))
        + _block(f"site-block-{tag}", site, version, site_page)
        + "</section>"
    )


def _inbox(inbox: InboxView, words: str) -> str:
    """The sending-domain check and SpamAssassin's scores (made in their own thread, shown when ready)."""
    findings = "".join(f"<li><strong>{escape(level)}:</strong> {escape(line)}</li>" for level, line in inbox.findings)
    domain = f'<p id="domain-summary">{escape(inbox.domain)}</p>' + (f"<ul>{findings}</ul>" if findings else "")
    if inbox.spam:
        spam = f'<p id="spam-scores">{escape(inbox.spam)}</p>'
    else:
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(line)}</td></tr>" if name else f'<tr><td colspan="2">{escape(line)}</td></tr>'
            for name, line in inbox.scores
        )
        table = (
            f'<table id="spam-scores"><thead><tr><th scope="col">Language</th><th scope="col">SpamAssassin</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            if rows
            else '<p id="spam-scores">Not scored yet.</p>'
        )
        old = (
            "<p><strong>These scores are for an earlier version of the text:</strong> score again for this one.</p>"
            if inbox.scores and inbox.scored != words and not inbox.scoring
            else ""
        )
        busy = " disabled" if inbox.scoring else ""
        label = "Scoring..." if inbox.scoring else "Score with SpamAssassin"
        spam = (
            f"{table}{old}<button type=\"button\" id=\"score-spam\"{busy}>{label}</button>"
            "<p>One message per language, as a send at the lift builds it, scored with SpamAssassin's local tests "
            "(1-2 s a language, while the page stays live).</p>"
        )
    return f'<div class="inbox"><h3>Landing in the inbox</h3>{domain}{spam}</div>'


def _body(built: Built, version: int, inbox: InboxView | None = None) -> str:
    warnings = "".join(f"<li>{escape(w)}</li>" for w in built.warnings) or "<li>None.</li>"
    files = "".join(f"<tr><td>{escape(f.name)}</td><td>{_size(f.size)}</td></tr>" for f in built.files)
    files_block = (
        f'<table><thead><tr><th scope="col">File</th><th scope="col">Size</th></tr></thead><tbody>{files}</tbody></table>'
        if files
        else "<p>No photos or attachments.</p>"
    )
    approval = ""
    if built.approval:
        mark = "ok" if built.approval_ok else "todo"
        approval = f'<p class="{mark}" id="approval"><strong>Approval:</strong> {escape(built.approval)}</p>'
    languages = "".join(
        _language(view, version, built.site_files.get(view.newsroom, b"")) for view in built.languages
    )
    checks = f"""{approval}<h3>Warnings</h3><ul id="warnings">{warnings}</ul>
<h3>Photos and attachments</h3>{files_block}"""
    shown_inbox = _block("inbox", _inbox(inbox, built.words), version) if inbox is not None else ""
    return (
        '<section class="card" aria-labelledby="h-checks"><h2 id="h-checks">Checks</h2>'
        + _block("checks", checks, version)
        + shown_inbox
        + f'</section><div class="langs">{languages}</div>'
    )


def fragment(built: Built, last_good: Built | None, version: int, inbox: InboxView | None = None) -> str:
    """What ``<main>`` holds for ``version``: the render, or the error line over the last good render; with
    ``inbox``, the domain check and SpamAssassin's scores among the checks."""
    if not built.error:
        return f"<h1>Preview: {escape(built.title)}</h1>{_body(built, version, inbox)}"
    error = f'<div class="alert" role="alert" id="error"><p>The release does not render now:</p><p>{escape(built.error)}</p></div>'
    if last_good is None:
        return f"<h1>Preview: the release has an error</h1>{error}"
    return (
        f"<h1>Preview: {escape(last_good.title)} (error)</h1>{error}"
        f'<div class="stale"><p>Below: the last version that rendered, until the error is fixed.</p>'
        f"{_body(last_good, version, inbox)}</div>"
    )


def page(built: Built, last_good: Built | None, version: int, inbox: InboxView | None = None) -> str:
    """The whole page, first version included; ``/preview.js`` keeps it current."""
    title = escape(f"Preview: {(built if not built.error else last_good or built).title or 'release'}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{_STYLE}</style></head>
<body>
<main id="content" data-version="{version}">{fragment(built, last_good, version, inbox)}</main>
<footer><p id="status" role="status" aria-live="polite">Connecting...</p></footer>
<script src="/preview.js"></script>
</body></html>
"""
