"""``pressctl import FILE.docx``: a Word release read into a release file (front matter and Markdown),
its photos saved beside it. ``docx`` opens the document (mammoth), ``html`` turns mammoth's HTML into
blocks, ``structure`` places each block (markers, headline, dateline, body, photos, end mark, About,
media enquiries) with ``dates`` and ``contacts``, ``markdown`` writes the file's text, ``run`` is the
command as one library call, ``sample`` the sample workspace's .docx."""

__all__: list[str] = []
