"""``pressctl import FILE.docx`` as one library call: read the document, place its parts, save its photos
beside the release, write the release file (or a translation of an existing release, which is then pointed
at it), and say what needs a person's eye."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pressctl.atomic import shared_mode, write_atomic
from pressctl.clock import Clock, system_clock
from pressctl.config import Workspace
from pressctl.errors import InputError, PressctlError
from pressctl.importer.docx import DocxContent, Picture, read_docx
from pressctl.importer.html import blocks_of
from pressctl.importer.markdown import release_text
from pressctl.importer.structure import Structure, place_blocks
from pressctl.languages.documents import guess_tag
from pressctl.languages.tags import normalise_language
from pressctl.release.load import Release, load_release, load_release_set

__all__ = ["ImportResult", "import_docx"]

_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


@dataclass
class ImportResult:
    release: Path  # the file written
    language: str
    photos: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    main: Path | None = None  # with --translation-of: the release now pointing at it


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "release"


def _picture_bytes(picture: Picture) -> tuple[bytes, str] | None:
    ext = _EXT.get(picture.content_type.lower())
    if ext:
        return picture.data, ext
    from PIL import Image, UnidentifiedImageError

    try:  # a TIFF or BMP pasted into Word: kept as PNG; a drawing (EMF, WMF) is not a photo
        with Image.open(io.BytesIO(picture.data)) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
            return out.getvalue(), ".png"
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _save_photos(
    found: Structure, content: DocxContent, folder: Path, stem: str, reuse: dict[str, Path], result: ImportResult
) -> list[dict[str, str]]:
    photos: list[dict[str, str]] = []
    for n, placed in enumerate(found.photos, start=1):
        picture = content.pictures.get(placed.image)
        converted = _picture_bytes(picture) if picture else None
        if picture is None or converted is None:
            result.warnings.append(f"paragraph {placed.paragraph}: a picture that is not a photo (a drawing or chart) was left out")
            continue
        data, ext = converted
        digest = hashlib.sha256(data).hexdigest()
        target = reuse.get(digest)
        if target is None:
            target = folder / "photos" / f"{stem}-{n}{ext}"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data, mode=shared_mode())
            result.photos.append(target)
        entry = {"src": target.relative_to(folder).as_posix(), "caption": placed.caption, "alt": picture.alt}
        if not picture.alt and not placed.caption:
            result.warnings.append(
                f"paragraph {placed.paragraph}: the photo has neither a caption nor alt text: describe it in 'alt:'"
            )
        photos.append({k: v for k, v in entry.items() if v})
    return photos


def _front(found: Structure, language: str, zone: ZoneInfo, today: dt.date, photos: list[dict[str, str]]) -> dict[str, Any]:
    embargo: str | None = found.embargo.isoformat() if found.embargo else None
    if found.embargo_text:
        # Never guessed: the release will not load until a person writes the moment.
        embargo = f"CHECK: {found.embargo_text}"
    return {
        "title": found.title,
        "subtitle": found.subtitle,
        "date": found.date or today,
        "dateline": found.place,
        "embargo": embargo,
        "timezone": None,
        "language": language,
        "photos": photos,
        "about": [{"organisation": org, "text": text} for org, text in found.about],
        "media_contacts": found.media_contacts,
    }


def _warn_changes(content: DocxContent, result: ImportResult) -> None:
    if content.insertions or content.deletions:
        result.warnings.append(
            f"the document still has tracked changes ({content.insertions} insertion(s), {content.deletions} "
            "deletion(s)): the insertions were kept and the deletions left out; check that this is the approved text"
        )
    if content.comments:
        result.warnings.append(f"the document has {content.comments} comment(s): they were left out; check that none is still open")


def import_docx(
    path: Path,
    workspace: Workspace,
    *,
    out_dir: Path | None = None,
    language: str | None = None,
    translation_of: Path | None = None,
    force: bool = False,
    clock: Clock = system_clock,
) -> ImportResult:
    """Import ``path`` (a .docx) as a release, or with ``translation_of`` as that release's translation."""
    path = Path(path)
    if path.suffix.lower() not in (".docx", ".docm", ".dotx"):
        raise InputError(f"{path.name!r} is not a .docx file", where=str(path), hint="save the document from Word as .docx")
    main: Release | None = load_release(translation_of, workspace) if translation_of is not None else None
    zone = main.zone if main is not None else ZoneInfo(workspace.timezone)
    content = read_docx(path)
    blocks = blocks_of(content.html)
    for block in blocks:
        block.size = content.sizes.get(" ".join(block.text.split()), 0.0)
    found = place_blocks(blocks, zone=zone)
    if not found.title:
        raise InputError("no headline found: the document has only marker lines", where=str(path), hint="check that this is the release's .docx")
    text = "\n".join(b.text for b in blocks)
    tag = normalise_language(language, error=InputError) if language else guess_tag(text, workspace.language)
    if main is not None and tag.lower() == main.language.lower():
        raise InputError(
            f"the document is in {tag}, the language of {main.path.name} itself",
            where=str(path),
            hint="give its language with --lang, or import it as a release of its own (without --translation-of)",
        )
    if main is not None:
        folder, stem = main.path.parent, main.path.name.split(".")[0]
        target = folder / f"{stem}.{tag}.md"
        reuse = {hashlib.sha256(p.src.read_bytes()).hexdigest(): p.src for p in main.photos if p.src.is_file()}
        photo_stem = f"{main.slug}.{tag}"
    else:
        given = Path(out_dir) if out_dir is not None else None
        if given is not None and given.suffix.lower() == ".md" and not given.is_dir():
            folder, stem = given.parent, given.stem  # -o releases/launch.md: that file, its photos beside it
        else:
            folder, stem = (given or workspace.root / "releases"), _slug(path.stem)
        target = folder / f"{stem}.md"
        reuse, photo_stem = {}, stem
    if target.exists() and not force:
        raise InputError("a release file of that name exists", where=str(target), hint="move it away, or add --force to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    result = ImportResult(release=target, language=tag)
    _warn_changes(content, result)
    result.warnings += [f"{path}: {w}" if w.startswith("paragraph") else w for w in found.warnings]
    if found.date is None:
        result.warnings.append(f"no date found in a dateline: 'date' is today's ({clock().astimezone(zone).date()}); check it")
    if found.embargo_text:
        result.warnings.append(
            f"the embargo line {found.embargo_text!r} gives no clear date and time: write it in 'embargo:' "
            "(the release will not load until you do)"
        )
    photos = _save_photos(found, content, folder, photo_stem, reuse, result)
    front = _front(found, tag, zone, clock().astimezone(zone).date(), photos)
    write_atomic(target, release_text(front, "\n\n".join(b for b in found.body if b.strip())).encode("utf-8"), mode=shared_mode())
    if main is not None:
        from pressctl.versions.frontfile import add_translation

        add_translation(main.path, tag, target)
        result.main = main.path
    result.warnings += _check_written(main.path if main is not None else target, workspace)
    return result


def _check_written(release: Path, workspace: Workspace) -> list[str]:
    """What the written release (and its set) still needs: a load error, differences between versions."""
    from pressctl.versions.gate import check_versions

    try:
        releases = load_release_set(release, workspace)
    except PressctlError as exc:
        return [f"the release needs a correction before it can be rendered or sent: {exc}"]
    return [*(w for r in releases for w in r.warnings), *check_versions(releases, preview=True, allow_differences=True)]
