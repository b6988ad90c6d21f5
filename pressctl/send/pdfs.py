"""The release's PDFs for a send: from ``.pressctl/cache/`` when these inputs were rendered before, else
rendered in a forked child while the contact lists are read (:func:`cached_or_render` returns the waiter)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from pressctl.config import Workspace
from pressctl.errors import PressctlError
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan

__all__ = ["cached_or_render", "render_pdfs", "start_pdfs"]


def render_pdfs(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> dict[str, bytes]:
    from pressctl.render.pdf import render_pdf

    return {r.language: render_pdf(r, workspace, merge_plan, embargoed=embargoed) for r in releases}


def start_pdfs(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> Callable[[], dict[str, bytes]]:
    """Render the PDFs in a forked child while this process reads the contact lists; returns the waiter.

    Why: WeasyPrint is the slow part of planning (~0.8 s for EN + zh-HK) and the heavy one (~100 MB of
    fonts and layout that would otherwise stay in this process for the whole send; at 100,000 recipients
    that is the difference between ~180 and ~280 MB). Forking needs no pickling of the inputs. Only when
    this process has one thread (forking with threads can deadlock the child); else, in-process.
    """
    import os

    if not hasattr(os, "fork") or threading.active_count() > 1:
        result = render_pdfs(releases, workspace, merge_plan, embargoed=embargoed)
        return lambda: result
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, send the bytes (or the error) up the pipe, leave without cleanup
        code = 0
        try:
            os.close(read_fd)
            try:
                payload: tuple[str, Any] = ("ok", render_pdfs(releases, workspace, merge_plan, embargoed=embargoed))
            except PressctlError as exc:
                payload = ("error", (type(exc), exc.what, exc.where, exc.hint))
            except BaseException as exc:  # reported by type only: the text could be anything
                payload = ("crash", type(exc).__name__)
            with os.fdopen(write_fd, "wb") as fh:
                pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)

    def wait() -> dict[str, bytes]:
        try:
            with os.fdopen(read_fd, "rb") as fh:
                data = fh.read()
        finally:
            os.waitpid(pid, 0)
        kind: str
        value: Any
        kind, value = pickle.loads(data) if data else ("crash", "no result")
        if kind == "ok":
            return dict(value)
        if kind == "error":
            cls, what, where, hint = value
            error = cls.__new__(cls)
            PressctlError.__init__(error, what, where=where, hint=hint)
            raise error
        raise RuntimeError(f"rendering the PDF failed in the worker process ({value})")

    return wait


def cached_or_render(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> Callable[[], dict[str, bytes]]:
    """The PDFs from ``.pressctl/cache/`` when these exact inputs were rendered before (a dry run, an
    earlier send), else rendered (see :func:`start_pdfs`) and kept there for the next command."""
    from pressctl.render.pdfcache import load_pdfs, pdf_keys, store_pdfs

    keys = pdf_keys(releases, workspace, merge_plan, embargoed=embargoed)
    cached = load_pdfs(workspace, keys)
    if cached is not None:
        return lambda: cached
    wait = start_pdfs(releases, workspace, merge_plan, embargoed=embargoed)

    def wait_and_store() -> dict[str, bytes]:
        pdfs = wait()
        store_pdfs(workspace, keys, pdfs)
        return pdfs

    return wait_and_store

