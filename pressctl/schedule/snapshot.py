"""A scheduled job's snapshot: private copies of the release set, its lists and the workspace's rendering
configuration (``pressctl.toml``, templates, the logo), each with the hash it had when scheduled, so what was
previewed is what goes at the lift; and the workspace a job sends with (:func:`job_workspace`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.config import Workspace, load_workspace
from pressctl.digests import bytes_sha256, file_sha256
from pressctl.errors import InputError
from pressctl.ledger.jobs import Job, SourceFile
from pressctl.private import private_dir, private_write
from pressctl.release.load import Release

__all__ = [
    "WORKSPACE_COPY",
    "Snapshot",
    "changed_sources",
    "job_workspace",
    "release_files",
    "snapshot_files",
    "snapshot_workspace",
    "verify_snapshot",
    "workspace_files",
]


def release_files(releases: Sequence[Release]) -> list[tuple[str, Path]]:
    """Every file a release set reads, with its role, main release first, each file once."""
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()

    def add(role: str, path: Path) -> None:
        path = Path(path).resolve()
        if path not in seen:
            seen.add(path)
            found.append((role, path))

    for i, release in enumerate(releases):
        add("release" if i == 0 else "translation", release.path)
    for release in releases:
        for photo in release.photos:
            add("photo", photo.src)
        for attachment in release.attachments:
            add("attachment", attachment)
        for image in release.images.values():
            add("photo", image)  # body images: the snapshot must hold them too
    return found


@dataclass(frozen=True)
class Snapshot:
    dir: Path
    release: str  # relative to dir
    contacts: list[str]
    sources: list[SourceFile]


def snapshot_files(
    files: Sequence[tuple[str, Path]], contacts: Sequence[Path], *, dest: Path, root: Path
) -> Snapshot:
    """Copy ``files`` (the release set) and ``contacts`` into ``dest``, keeping their layout.

    Paths keep their place relative to the workspace ``root`` (or, for a release kept outside it, to the
    folder that holds all its files), so the relative paths inside the release still resolve. A contact
    list from elsewhere goes to ``lists/<n>/``. Each copy's hash is recorded from the bytes copied.
    """
    paths = [p for _, p in files]
    base = root.resolve()
    if not all(p.is_relative_to(base) for p in paths):
        base = Path(os.path.commonpath([str(p.parent) for p in paths]))
    sources: list[SourceFile] = []
    taken: set[str] = set()

    def copy(role: str, source: Path, relative: str) -> str:
        taken.add(relative)
        sources.append(_copy_private(role, source, dest, relative))
        return relative

    for role, path in files:
        copy(role, path, path.relative_to(base).as_posix())
    listed: list[str] = []
    for n, contact in enumerate(contacts, start=1):
        contact = Path(contact).resolve()
        inside = contact.is_relative_to(base) and contact.relative_to(base).as_posix() not in taken
        relative = contact.relative_to(base).as_posix() if inside else f"lists/{n}/{contact.name}"
        listed.append(copy("contacts", contact, relative))
    return Snapshot(dir=dest, release=sources[0].snapshot, contacts=listed, sources=sources)


# The workspace's rendering configuration inside a snapshot: pressctl.toml, templates/ and the logo, so a
# job sends what was previewed even if the branding changes before the lift.
WORKSPACE_COPY = ".pressctl-workspace"


def workspace_files(workspace: Workspace) -> list[tuple[str, Path, str]]:
    """(role, file, place in the snapshot) for the configuration a render uses: ``pressctl.toml``, every
    file under ``templates/`` and the logo (at its place relative to the configuration, so it resolves)."""
    if workspace.config_path is None:
        return []
    base = workspace.config_path.parent
    found = [("config", workspace.config_path, f"{WORKSPACE_COPY}/pressctl.toml")]
    templates = workspace.templates_dir
    if templates.is_dir():
        for path in sorted(templates.rglob("*")):
            if path.is_file():
                found.append(("template", path, f"{WORKSPACE_COPY}/templates/{path.relative_to(templates).as_posix()}"))
    logo = workspace.brand.logo
    if logo is not None and logo.is_relative_to(base):
        found.append(("logo", logo, f"{WORKSPACE_COPY}/{logo.relative_to(base).as_posix()}"))
    return found


def snapshot_workspace(workspace: Workspace, dest: Path) -> list[SourceFile]:
    """Copy :func:`workspace_files` into ``dest`` (private, hashed like the release's files)."""
    return [_copy_private(role, path, dest, relative) for role, path, relative in workspace_files(workspace)]


def _copy_private(role: str, source: Path, dest: Path, relative: str) -> SourceFile:
    """Copy ``source`` to ``dest/relative`` (private), hashed from the bytes copied."""
    try:
        data = source.read_bytes()
    except OSError as exc:  # permission denied, an I/O error: nothing is scheduled
        raise InputError(
            f"cannot read the file ({exc.strerror or type(exc).__name__})",
            where=str(source),
            hint="check that the file is readable",
        ) from None
    target = dest / relative
    private_dir(target.parent)
    private_write(target, data)
    return SourceFile(role, str(source), relative, bytes_sha256(data))


def changed_sources(job: Job) -> list[str]:
    """The original files that changed (or went away) since the job was scheduled."""
    changed = []
    for source in job.sources:
        path = Path(source.source)
        try:
            if file_sha256(path) != source.sha256:
                changed.append(f"{path} (changed)")
        except OSError:
            changed.append(f"{path} (gone)")
    return changed


def verify_snapshot(job: Job) -> None:
    """Refuse to send a snapshot that is not what was scheduled (edited or deleted by hand)."""
    for source in job.sources:
        path = Path(job.snapshot_dir) / source.snapshot
        try:
            ok = file_sha256(path) == source.sha256
        except OSError:
            ok = False
        if not ok:
            raise InputError(
                f"job {job.id}: its copy of {source.source} was changed or removed since scheduling",
                where=str(path),
                hint="cancel the job and schedule the release again",
            )



def job_workspace(job: Job) -> Workspace:
    """The workspace a job sends with: rendered as scheduled, delivered as things are *now*.

    What shapes the messages (organisation, brand, sender, greetings, media contacts, templates, the logo)
    comes from the copies in the snapshot, so the job sends what was previewed. What must be current is
    read live: the SMTP settings, ``[dns]``, and everything under the live workspace root: the suppression list, the
    ledger, the workspace secret that signs unsubscribe tokens, the outbox.
    """
    live = load_workspace(config=Path(job.config)) if job.config else load_workspace(Path(job.workspace))
    copied = Path(job.snapshot_dir) / WORKSPACE_COPY / "pressctl.toml"
    if not any(s.snapshot == f"{WORKSPACE_COPY}/pressctl.toml" for s in job.sources) or not copied.is_file():
        return live  # a job scheduled by an older pressctl: its snapshot holds no configuration
    rendered = load_workspace(config=copied)
    # [site] (folder, address, deploy command) is where things are delivered: read live, like SMTP.
    return dataclasses.replace(
        rendered,
        root=live.root,
        smtp_url=live.smtp_url,
        smtp_relays=live.smtp_relays,
        site=live.site,
        templates_from=copied.parent / "templates",
        workflow=live.workflow,  # whether approval is required is today's rule, like where mail goes
        dns=live.dns,  # the DNS servers the domain check asks at the lift: this machine's, like its relays
    )

