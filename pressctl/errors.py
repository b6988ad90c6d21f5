"""One error hierarchy: every error a user can cause says what, where, and what to do next."""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ConfigError",
    "ContactsError",
    "EmbargoError",
    "ExitStatus",
    "InputError",
    "LedgerError",
    "PressctlError",
    "ReleaseBusy",
    "ReleaseError",
    "SendAborted",
    "TransportError",
    "internal_origin",
]


class ExitStatus(IntEnum):
    """Every status ``pressctl`` ends with, as the README and each command's help name them."""

    OK = 0  # done: everyone sent, every job went, the lists can be used
    FAILED = 1  # someone failed or is still pending; another process is sending the release; a login refused
    BAD_INPUT = 2  # bad input or usage: nothing was sent
    INTERNAL = 70  # a fault of pressctl's own (EX_SOFTWARE): one line, never a traceback
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): the messages in flight finished; the same command resumes
    BROKEN_PIPE = 141  # the reader of the output went away (128 + SIGPIPE), as `yes | head` ends


class PressctlError(Exception):
    """Base class. ``str(err)`` is the one line shown to the user; ``exit_code`` is the process status."""

    exit_code: ExitStatus = ExitStatus.BAD_INPUT

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        line = f"{self.where}: {self.what}" if self.where else self.what
        if self.hint:
            hint = self.hint[:1].upper() + self.hint[1:]
            line = f"{line.rstrip('.')}. {hint}"
        return line


class InputError(PressctlError, ValueError):
    """Bad input from the user: a file, an option, a value. Exit status 2, nothing sent."""


class ConfigError(InputError):
    """The workspace configuration (pressctl.toml) is wrong."""


class ReleaseError(InputError):
    """The release file is wrong."""


class ContactsError(InputError):
    """A contact or suppression list is wrong."""


class EmbargoError(InputError):
    """The action would break an embargo, or a time is wrong."""


class TransportError(PressctlError, ConnectionError):
    """The mail server could not be used (unreachable, TLS, authentication, policy)."""

    exit_code = ExitStatus.FAILED


class SendAborted(PressctlError):
    """The run stopped before everyone was handled (Ctrl-C, a run of failures); it can be resumed."""

    exit_code = ExitStatus.FAILED


class ReleaseBusy(PressctlError):
    """Another process is sending the same release now (its lock in the ledger is alive)."""

    exit_code = ExitStatus.FAILED


class LedgerError(PressctlError):
    """The ledger could not be kept during a run (deleted, replaced, disk full).

    Exit status 1 when messages had already been handed over (someone got mail the run could not finish
    recording), 2 when nothing had been.
    """

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None, handed_over: int = 0) -> None:
        super().__init__(what, where=where, hint=hint)
        self.handed_over = handed_over
        self.exit_code = ExitStatus.FAILED if handed_over else ExitStatus.BAD_INPUT


def internal_origin(exc: BaseException) -> str:
    """An unexpected exception as its type and the last place in pressctl it passed through
    (``ValueError in pressctl/site/feeds.py:91``): never its text, which could carry a secret or a message."""
    import traceback

    place = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        parts = frame.filename.replace("\\", "/").split("/pressctl/")
        if len(parts) > 1:
            place = f" in pressctl/{parts[-1]}:{frame.lineno}"
    return f"{type(exc).__name__}{place}"
