"""The newsroom: each release as a static web page with photos, PDFs, an index, Atom feeds and a sitemap.

``pages`` and ``feeds`` are pure (releases and workspace in, ``{relative path: bytes}`` out); ``state`` keeps
what is published; ``publish`` writes the site folder; ``deploy`` runs the user's deploy command; ``serve``
serves the folder on 127.0.0.1 for a look before deploying.
"""
