"""``pressctl preview RELEASE`` (issue 23): one page on 127.0.0.1 with every language's email (phone and
desktop width), plain text, PDF pages and newsroom page side by side, updated while the officer writes.

* :mod:`~pressctl.preview.build` -- render a release set into what the page shows (or the error line of a
  release that no longer parses); PDF pages as JPEG through poppler's ``pdftoppm``.
* :mod:`~pressctl.preview.shown` -- what the page shows, as values; :mod:`~pressctl.preview.page` -- the page
  itself and the fragment it swaps in (both pure).
* :mod:`~pressctl.preview.server` -- the HTTP server (127.0.0.1, its own ``Host:`` only), server-sent events.
* :mod:`~pressctl.preview.watch` -- watchfiles on the release, its translations, photos, templates and
  ``pressctl.toml``; a change re-renders and tells the open pages.
"""
