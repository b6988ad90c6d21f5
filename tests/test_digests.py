"""pressctl.digests: file hashing with hashlib.file_digest, byte-for-byte what the old read loops computed
(campaign fingerprints and job snapshot checks stored before must still match)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pressctl.digests import feed_file, file_sha256
from pressctl.render.names import PDF_LINK_SLOT, output_stem, pdf_filename, without_pdf_link_slots


def test_feed_file_continues_a_digest(tmp_path: Path) -> None:
    path = tmp_path / "hvsp-tidal-bay.md"
    data = ("Harbourview Science Park 海景科學園\n" * 50_000).encode()
    path.write_bytes(data)
    digest = hashlib.sha256(b"release\0")
    feed_file(digest, path)
    assert digest.hexdigest() == hashlib.sha256(b"release\0" + data).hexdigest()
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(OSError):
        feed_file(hashlib.sha256(), tmp_path / "missing.md")


def test_one_name_for_each_output_and_one_pdf_link_slot() -> None:
    assert output_stem("tidal-bay", "en", main_language="en") == "tidal-bay"
    assert pdf_filename("tidal-bay", "zh-HK", main_language="en") == "tidal-bay.zh-HK.pdf"
    text = f"Body\n  {PDF_LINK_SLOT}\nEnd\n"
    assert without_pdf_link_slots(text, f"<p>{PDF_LINK_SLOT}</p>") == ("Body\nEnd\n", "<p></p>")
