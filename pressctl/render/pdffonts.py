"""Real subsets of the CJK faces in our PDFs: only the glyphs used, not 65,000 empty glyph slots.

WeasyPrint subsets each font with HarfBuzz keeping glyph ids (``RETAIN_GIDS``), because its content
streams address glyphs by their ids in the original font. For Noto Sans CJK that keeps every slot up to
the highest glyph used: a subset of 150 characters still lists ~65,000 glyphs, and its CharStrings
offsets, ``hmtx`` and ``vmtx`` cost 150-195 KB per weight, compressed (issue 9: a 434 KB two-page
Chinese PDF; 56 KB of CJK font in an English PDF for one three-character name).

A CID-keyed CFF font (Noto Sans CJK is one) needs no such slots: PDF viewers find a glyph by its CID
through the font's charset, and HarfBuzz keeps each glyph's CID in the charset when it renumbers glyphs.
So after WeasyPrint's own subsetting, a CID-keyed CFF font is subset once more by HarfBuzz, without
``RETAIN_GIDS``, to the glyphs in use (~10 ms), and embedded as a bare CFF (``/FontFile3`` of subtype
``/CIDFontType0C``, the form every viewer reads through the charset; poppler ignores the charset of an
``/OpenType`` font program). TrueType and name-keyed CFF fonts address glyphs by id and are left as they
are; so is any font this can't handle (it was correct, only larger).

This wraps ``weasyprint.pdf.fonts.Font.clean`` and ``weasyprint.pdf.build_fonts_dictionary`` (WeasyPrint
62-70 have them); if a future WeasyPrint changes them, ``install`` does nothing and the PDFs are only
larger. HarfBuzz is reached through cffi, from the same ``libharfbuzz-subset0`` WeasyPrint uses.
"""

from __future__ import annotations

import functools
import logging
import struct
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["cff_table", "compact_cid_font", "install", "is_cid_keyed_cff"]

_LOG = logging.getLogger(__name__)

# Off: WeasyPrint's own subsets, as before (tests compare the two).
ENABLED = True

# Below this many glyph slots the retained ids cost little (a Latin font, or a font compact already).
MIN_SLOTS = 1000

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef unsigned int hb_codepoint_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
unsigned int hb_face_get_glyph_count(const hb_face_t *face);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_READONLY = 1  # HB_MEMORY_MODE_READONLY
_FLAGS = 0x04 | 0x20  # HB_SUBSET_FLAGS_DESUBROUTINIZE | HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED


@functools.cache
def _harfbuzz() -> tuple[Any, Any, Any] | None:
    """(ffi, libharfbuzz, libharfbuzz-subset), or None where they can't be loaded."""
    try:
        import cffi  # type: ignore[import-untyped]

        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    except Exception as exc:  # no cffi, no library, or a library without these functions
        _LOG.debug("HarfBuzz not available for CJK font subsets: %s", exc)
        return None


def _index_end(data: bytes, pos: int) -> tuple[int, list[int]]:
    """The end of the CFF INDEX at ``pos`` and its offsets (relative to the byte before its data)."""
    count = struct.unpack_from(">H", data, pos)[0]
    if count == 0:
        return pos + 2, []
    size = data[pos + 2]
    start = pos + 3
    offsets = [int.from_bytes(data[start + i * size : start + (i + 1) * size], "big") for i in range(count + 1)]
    data_start = start + (count + 1) * size - 1
    return data_start + offsets[-1], [data_start + o for o in offsets]


def cff_table(program: bytes) -> bytes | None:
    """The ``CFF `` table of an OpenType font, or None."""
    if program[:4] != b"OTTO":
        return None
    try:
        tables = struct.unpack_from(">H", program, 4)[0]
        for i in range(tables):
            tag, _, offset, length = struct.unpack_from(">4sIII", program, 12 + 16 * i)
            if tag == b"CFF ":
                table = program[offset : offset + length]
                return table if len(table) == length else None
    except struct.error:
        return None
    return None


def is_cid_keyed_cff(program: bytes) -> bool:
    """True for an OpenType font whose CFF table is CID-keyed (its Top DICT starts with ROS)."""
    cff = cff_table(program)
    if cff is None:
        return False
    try:
        names_end, _ = _index_end(cff, cff[2])  # header size, then the Name INDEX
        _, top = _index_end(cff, names_end)
        pos = top[0]
        # Skip the operands of the first operator: ROS (12 30) comes first in a CIDFont's Top DICT.
        while pos < top[1]:
            b0 = cff[pos]
            if b0 == 12:
                return cff[pos + 1] == 30
            if b0 < 22:
                return False
            if b0 == 30:  # a real number: nibbles up to one of 0xf
                pos += 1
                while pos < top[1] and (cff[pos] & 0x0F) != 0x0F and (cff[pos] >> 4) != 0x0F:
                    pos += 1
                pos += 1
            elif b0 == 28:
                pos += 3
            elif b0 == 29:
                pos += 5
            elif 32 <= b0 <= 246:
                pos += 1
            elif 247 <= b0 <= 254:
                pos += 2
            else:
                return False
        return False
    except (struct.error, IndexError):
        return False


def compact_cid_font(program: bytes, glyphs: Iterable[int]) -> bytes | None:
    """``program`` (an OpenType CID-keyed CFF font) cut to ``glyphs`` and ``.notdef``, each keeping its CID.

    None when there is nothing to gain or it can't be done (the caller keeps the font it has).
    """
    hb = _harfbuzz()
    if hb is None or not is_cid_keyed_cff(program):
        return None
    ffi, lib, sub = hb
    blob = lib.hb_blob_create(program, len(program), _READONLY, ffi.NULL, ffi.NULL)
    face = lib.hb_face_create(blob, 0)
    plan = sub.hb_subset_input_create_or_fail()
    result = ffi.NULL
    try:
        if plan == ffi.NULL or lib.hb_face_get_glyph_count(face) < MIN_SLOTS:
            return None
        wanted = sub.hb_subset_input_glyph_set(plan)
        for gid in {0, *glyphs}:
            lib.hb_set_add(wanted, gid)
        sub.hb_subset_input_set_flags(plan, _FLAGS)
        result = sub.hb_subset_or_fail(face, plan)
        if result == ffi.NULL:
            return None
        out_blob = lib.hb_face_reference_blob(result)
        try:
            length = ffi.new("unsigned int *")
            data = lib.hb_blob_get_data(out_blob, length)
            compact = bytes(ffi.buffer(data, length[0])) if length[0] else b""
        finally:
            lib.hb_blob_destroy(out_blob)
        return compact if compact and len(compact) < len(program) else None
    finally:
        if result != ffi.NULL:
            lib.hb_face_destroy(result)
        if plan != ffi.NULL:
            sub.hb_subset_input_destroy(plan)
        lib.hb_face_destroy(face)
        lib.hb_blob_destroy(blob)


def install() -> bool:
    """Make WeasyPrint's font cleaning also compact CID-keyed CFF fonts; True if it is in place."""
    try:
        import weasyprint.pdf as pdf_module
        from weasyprint.pdf import fonts
    except ImportError:
        return False
    font_class = getattr(fonts, "Font", None)
    clean: Callable[..., Any] | None = getattr(font_class, "clean", None)
    if font_class is None or clean is None:
        return False
    if getattr(clean, "_pressctl_compact", False):
        return True

    @functools.wraps(clean)
    def clean_and_compact(self: Any, to_unicode: dict[int, Any], hinting: bool) -> Any:
        result = clean(self, to_unicode, hinting)
        content = getattr(self, "file_content", None)
        self._pressctl_bare_cff = None
        if ENABLED and to_unicode and isinstance(content, bytes):
            try:
                compact = compact_cid_font(content, to_unicode)
                bare = cff_table(compact) if compact is not None else None
            except Exception:  # never let an optimisation break a PDF
                _LOG.debug("could not compact %s", getattr(self, "family", "a font"), exc_info=True)
                bare = None
            if compact is not None and bare is not None:
                self.file_content = compact  # WeasyPrint reads metrics from it
                self._pressctl_bare_cff = bare
        return result

    build: Callable[..., Any] | None = getattr(pdf_module, "build_fonts_dictionary", None)
    if build is None:
        return False

    @functools.wraps(build)
    def build_and_embed_bare(pdf: Any, fonts: Any, *args: Any, **kwargs: Any) -> Any:
        result = build(pdf, fonts, *args, **kwargs)
        bare = {
            id(font.file_content): font._pressctl_bare_cff
            for font in fonts.values()
            if getattr(font, "_pressctl_bare_cff", None) is not None
        }
        if bare:
            for obj in getattr(pdf, "objects", ()):
                extra, stream = getattr(obj, "extra", None), getattr(obj, "stream", None)
                if (
                    isinstance(extra, dict)
                    and extra.get("Subtype") == "/OpenType"
                    and isinstance(stream, list)
                    and len(stream) == 1
                    and id(stream[0]) in bare
                ):
                    obj.stream = [bare[id(stream[0])]]
                    extra["Subtype"] = "/CIDFontType0C"
        return result

    clean_and_compact._pressctl_compact = True  # type: ignore[attr-defined]
    font_class.clean = clean_and_compact
    pdf_module.build_fonts_dictionary = build_and_embed_bare
    return True
