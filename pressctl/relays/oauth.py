"""OAuth2 login to a relay (SASL XOAUTH2, as Microsoft 365 and Google take it).

The access token comes from ``PRESSCTL_SMTP_OAUTH_TOKEN`` or from ``[smtp] oauth_token_command``: a shell
command whose standard output is the token (as git credential helpers and msmtp's ``passwordeval`` work), so
any token tool can be used (MSAL's device-code flow, ``oauth2l``, ``gcloud auth print-access-token``, ...).
When the relay refuses a token mid-run (it expired: they live about an hour), the token is fetched again
and the login retried once.

A token is a :class:`Secret`: its repr and str never show it, it cannot be pickled, and no error message of
this module contains it (a command's standard error is reported with the token cut out).

The login itself is :func:`login_xoauth2`, on a connected ``aiosmtplib.SMTP``:
aiosmtplib (>= 5.1) sends ``AUTH XOAUTH2 <base64>`` with ``SMTP.auth_xoauth2(user, token)`` and answers a
``334`` error challenge with an empty line to get the final reply.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from pressctl.children import child_environment, redact, run_child, withheld
from pressctl.errors import ConfigError, TransportError
from pressctl.relays.actions import Action, Outcome, judge
from pressctl.relays.replies import Reply

if TYPE_CHECKING:
    import aiosmtplib

__all__ = [
    "TOKEN_ENV",
    "OAuthError",
    "Secret",
    "TokenSource",
    "login_xoauth2",
    "run_token_command",
    "xoauth2_string",
]

TOKEN_ENV = "PRESSCTL_SMTP_OAUTH_TOKEN"
_COMMAND = "smtp.oauth_token_command"


class Secret:
    """A token or password. ``str``/``repr``/f-strings show ``***``; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is never pickled or stored")


class OAuthError(TransportError):
    """No usable token, or the relay refused the OAuth2 login. Never contains the token.

    ``outcome`` is the relay's refusal read and looked up (:mod:`pressctl.relays.actions`), when there was
    one: ``auth-failed`` (the token or user is wrong) or e.g. ``slow-down`` (Google's ``454 4.7.0 Too many
    login attempts``: fewer connections).
    """

    def __init__(
        self, what: str, *, where: str | None = None, hint: str | None = None, outcome: Outcome | None = None
    ) -> None:
        super().__init__(what, where=where, hint=hint)
        self.outcome = outcome


def xoauth2_string(user: str, token: Secret) -> bytes:
    """The SASL XOAUTH2 initial response: ``base64("user=" USER "\\x01auth=Bearer " TOKEN "\\x01\\x01")``."""
    raw = f"user={user}\x01auth=Bearer {token.reveal()}\x01\x01".encode()
    return base64.b64encode(raw)


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "[token]") if secret else text


def _one_line(text: str, limit: int = 200) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _check_token(token: str, where: str) -> str:
    if not token:
        raise OAuthError(f"{where} gave no token", hint="it must print the access token on standard output")
    if any(c.isspace() or ord(c) < 32 for c in token):
        raise OAuthError(
            f"{where} did not give a token (its first line has spaces or control characters)",
            hint="it must print only the access token, on one line",
        )
    return token


def run_token_command(
    command: str,
    *,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    withhold: Iterable[str] = (),
    pass_env: Iterable[str] = (),
) -> Secret:
    """Run ``command`` with ``/bin/sh -c``; its first line of standard output is the token.

    It gets ``env`` (default: this process's environment) without pressctl's secrets (``pressctl.children``:
    passwords, other tokens; ``withhold`` adds names, ``pass_env`` lets some through) in a process group of
    its own, all of it stopped at the timeout. Failures say the exit status and the last line of standard
    error, with the token and anything else token-like cut out, and never the command's output itself.
    """
    source = os.environ if env is None else env
    kept = withheld(source, withhold=withhold, pass_env=pass_env)
    try:
        done = run_child(command, timeout=timeout, env=child_environment(source, withhold=withhold, pass_env=pass_env))
    except OSError as exc:
        raise OAuthError(f"{_COMMAND} could not be started ({type(exc).__name__})") from None
    if done.timed_out:
        raise OAuthError(
            f"{_COMMAND} did not finish in {timeout:g} s and was stopped",
            hint="run it yourself: it may be waiting for a sign-in; sign in once, then try again",
        )
    out = done.stdout.decode("utf-8", "replace")
    first = next((line.strip() for line in out.splitlines() if line.strip()), "")
    secrets = [first, out.strip(), *(source[name] for name in kept)]
    err = _one_line(redact(done.stderr.decode("utf-8", "replace"), secrets))
    more = f"; pressctl kept {', '.join(kept)} from it (name one in [smtp] pass_env if it needs it)" if kept else ""
    if done.returncode != 0:
        detail = f": {err}" if err else ""
        if done.returncode == 127:
            raise ConfigError(
                f"{_COMMAND} was not found (exit status 127){detail}", where="pressctl.toml",
                hint="check the command's name and path",
            )
        raise OAuthError(
            f"{_COMMAND} failed (exit status {done.returncode}){detail}",
            hint="run it yourself to see what it needs" + more,
        )
    return Secret(_check_token(first, _COMMAND))


@dataclass
class TokenSource:
    """Where tokens come from: a command (fetched again on :meth:`refresh`) or the environment.

    ``generation`` counts fetches, so that several connections refused at once refresh only once.
    """

    command: str | None = None
    env: Mapping[str, str] | None = None
    timeout: float = 30.0
    withhold: tuple[str, ...] = ()  # more variables the command must not get (relays' password_env)
    pass_env: tuple[str, ...] = ()  # [smtp] pass_env
    _token: Secret | None = None
    generation: int = 0

    def __repr__(self) -> str:
        return f"TokenSource(command={'set' if self.command else None}, generation={self.generation})"

    @property
    def origin(self) -> str:
        return _COMMAND if self.command else TOKEN_ENV

    def _fetch(self) -> Secret:
        if self.command:
            return run_token_command(
                self.command, timeout=self.timeout, env=self.env, withhold=self.withhold, pass_env=self.pass_env
            )
        environ = self.env if self.env is not None else os.environ
        value = environ.get(TOKEN_ENV, "").strip()
        if not value:
            raise OAuthError(
                f"no OAuth2 access token: {TOKEN_ENV} is not set and there is no {_COMMAND}",
                hint=f"set {TOKEN_ENV}, or set {_COMMAND} in pressctl.toml to a command that prints a token",
            )
        return Secret(_check_token(value, TOKEN_ENV))

    def token(self) -> tuple[Secret, int]:
        """The current token (fetched at the first call) and its generation."""
        if self._token is None:
            self._token = self._fetch()
            self.generation += 1
        return self._token, self.generation

    def refresh(self, seen: int) -> tuple[Secret, int]:
        """A new token, unless one newer than generation ``seen`` was fetched meanwhile (then that one).

        From the environment, a refresh can only re-read the same variable: when it has not changed, the
        refused token is not tried again.
        """
        if self._token is not None and self.generation > seen:
            return self._token, self.generation
        fresh = self._fetch()
        if self.command is None and fresh == self._token:
            raise OAuthError(
                f"the relay refused the token in {TOKEN_ENV} (expired?) and there is no other",
                hint=f"set a fresh token, or set {_COMMAND} so pressctl can fetch one when it expires",
            )
        self._token = fresh
        self.generation += 1
        return fresh, self.generation


async def login_xoauth2(
    client: aiosmtplib.SMTP, user: str, tokens: TokenSource, *, profile: str | None = None
) -> None:
    """Log in with XOAUTH2 on a connected client (after STARTTLS). A refused token is fetched again and the
    login retried once; a second refusal raises :class:`OAuthError` (the relay's reply, read with the
    relay's ``profile``, never the token)."""
    import aiosmtplib

    where = f"{client.hostname}:{client.port}"
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    offered = client.server_auth_methods
    if "xoauth2" not in offered:
        raise OAuthError(
            f"{where} does not offer OAuth2 (XOAUTH2) login"
            + (f"; it offers {', '.join(m.upper() for m in offered)}" if offered else ""),
            hint="check the relay's address and port (Microsoft 365: smtp.office365.com:587) and that SMTP "
            "AUTH is enabled for the mailbox",
        )
    token, generation = await asyncio.to_thread(tokens.token)
    for attempt in (1, 2):
        try:
            await client.auth_xoauth2(user, token.reveal())
            return
        except aiosmtplib.SMTPAuthenticationError as exc:
            reply = _redact(" ".join(exc.message.split()), token.reveal())
            outcome = judge(Reply(exc.code, reply, "auth"), profile=profile)
            if outcome.action is not Action.AUTH_FAILED:
                # Not about the token (e.g. too many logins): fetching another would not help.
                raise OAuthError(
                    f"{where} refused the login for now ({exc.code} {reply})",
                    hint=f"{outcome.reason}; try again later", outcome=outcome,
                ) from None
            if attempt == 2:
                raise OAuthError(
                    f"{where} refused the OAuth2 login for {user} ({exc.code} {reply})",
                    hint=f"check the user name and that the token from {tokens.origin} is for this mailbox "
                    "and has the SMTP scope",
                    outcome=outcome,
                ) from None
        token, generation = await asyncio.to_thread(tokens.refresh, generation)
