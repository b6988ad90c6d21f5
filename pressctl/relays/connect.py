"""A relay that cannot be used for a connection now: what it said (or what went wrong) while connecting,
greeting, starting TLS or logging in, read once for ``pressctl send`` and ``pressctl smtp check``.

The transport's one connect path (``send/smtp.py``) reports a refusal as a
:class:`~pressctl.relays.replies.Reply` and raises what :func:`refusal` makes of it: a :class:`Refused`
carrying the reply read and looked up (:attr:`Refused.outcome`), a :class:`RelayBusy` when the reading is
*slow down* (``421 4.7.0`` at the greeting, ``432 4.3.2`` instead of it, ``454 4.7.0 Too many login
attempts``: fewer connections and a pause, not a failure of the relay). Every line names host, port and
user, never a secret. Pure: no I/O.
"""

from __future__ import annotations

from typing import Literal

from pressctl.config.smtp import PASSWORD_ENV
from pressctl.errors import TransportError
from pressctl.relays.actions import Action, Outcome, judge
from pressctl.relays.replies import Reply

__all__ = ["Problem", "Refused", "RelayBusy", "busy_or", "refusal"]

#: What went wrong when there was no reply to read: the relay could not be reached (or the connection
#: failed), its certificate could not be verified, it offers no STARTTLS (so the login would travel in the
#: clear), no AUTH though the URL names a user, or it closed the connection after the login.
Problem = Literal["unreachable", "certificate", "no-starttls", "no-auth", "closed"]

_CHECK_HOST = "check the host and port, that the server is running, and any firewall"


class Refused(TransportError):
    """The relay cannot be used for a connection now. ``outcome``: what it said, read and looked up."""

    def __init__(self, what: str, outcome: Outcome, *, hint: str | None = None) -> None:
        super().__init__(what, hint=hint)
        self.outcome = outcome


class RelayBusy(Refused):
    """The relay said *slow down* while a connection was being opened: fewer connections and a pause."""


def refusal(
    reply: Reply, *, where: str, user: str | None = None, profile: str | None = None, problem: Problem = "unreachable"
) -> Refused:
    """What the refusal ``reply`` (at connect, ehlo, starttls or auth) means, as the error to raise.
    ``problem`` names what went wrong when there was no reply (``reply.code`` None)."""
    outcome = judge(reply, profile=profile)
    if outcome.action is Action.SLOW_DOWN:
        return RelayBusy(
            f"{where} asked to slow down ({outcome.explain()})", outcome,
            hint="pressctl opens fewer connections to it and pauses",
        )
    if reply.code is not None:
        said = f"{reply.code} {' '.join(reply.text.split())}"
        if reply.stage == "auth":
            return Refused(
                f"{where} refused the login for {user} ({said})", outcome,
                hint=f"check the user name in the SMTP URL and {PASSWORD_ENV}",
            )
        return Refused(
            f"{where} refused the connection ({said})", outcome,
            hint="the server may be busy or may not accept mail from this machine; try again later",
        )
    what, hint = _problem_line(problem, where, user, reply.error)
    return Refused(what, outcome, hint=hint)


def _problem_line(problem: Problem, where: str, user: str | None, error: str) -> tuple[str, str | None]:
    if problem == "certificate":
        return (
            f"{where}: the server's certificate could not be verified ({error})",
            "check the host name; for a private CA add ?cafile=/path/to/ca.pem to the URL",
        )
    if problem == "no-starttls":
        return (
            f"{where} does not offer STARTTLS, so the password and mail would travel unencrypted",
            "use smtps:// (port 465) if the server has TLS, or add ?tls=none if you really mean it",
        )
    if problem == "no-auth":
        # aiosmtplib adds "Try STARTTLS" on a plain connection; the fact is that there is no AUTH.
        return (
            f"{where} offers no authentication (no AUTH in its EHLO reply), but the SMTP URL names the user {user}",
            "remove the user name from the URL if this server takes mail without a login, or check the host "
            "and port (submission is usually 587 or 465)",
        )
    if problem == "closed":
        return f"{where} closed the connection after login", None
    return f"cannot connect to {where} ({error})", _CHECK_HOST


def busy_or(error: TransportError) -> TransportError:
    """A login error that carries the relay's reply read as *slow down* (an OAuth2 login refused with
    ``454 4.7.0 Too many login attempts``) as :class:`RelayBusy`; any other error as it is."""
    outcome = getattr(error, "outcome", None)
    if isinstance(outcome, Outcome) and outcome.action is Action.SLOW_DOWN and not isinstance(error, RelayBusy):
        return RelayBusy(error.what, outcome, hint=error.hint)
    return error
