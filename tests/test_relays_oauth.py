"""XOAUTH2: tokens from the environment or a command, kept secret, refreshed once when refused
(pressctl/relays/oauth.py), against the scripted provider servers."""

from __future__ import annotations

import asyncio
import base64
import pickle
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtplib.auth import auth_xoauth2_encode
from provider_smtp import GOOGLE_BAD_TOKEN, ProviderServer, gmail, microsoft365
from smtp_server import SmtpTestServer

from pressctl.errors import ConfigError
from pressctl.relays.oauth import (
    TOKEN_ENV,
    OAuthError,
    Secret,
    TokenSource,
    login_xoauth2,
    run_token_command,
    xoauth2_string,
)

USER = "press@hvsp.example"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.hvsp-secret-token"


def _counting_command(tmp_path: Path, prefix: str = "tok-") -> str:
    """A token command that prints tok-1, tok-2, ... on successive runs."""
    counter = tmp_path / "n"
    return f'n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; echo {prefix}$n'


# -- secrets and the SASL string ------------------------------------------------------------------------
def test_secret_never_shows() -> None:
    secret = Secret(TOKEN)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>20}", repr([secret])):
        assert TOKEN not in shown
    assert secret.reveal() == TOKEN
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(secret)
    assert TOKEN not in repr(TokenSource(command=f"echo {TOKEN}"))


def test_xoauth2_string() -> None:
    blob = xoauth2_string(USER, Secret(TOKEN))
    assert base64.b64decode(blob) == f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode()
    assert blob == auth_xoauth2_encode(USER, TOKEN)  # what aiosmtplib sends


# -- the token command ----------------------------------------------------------------------------------
def test_token_from_a_command() -> None:
    assert run_token_command(f"printf '%s\\n' {TOKEN}").reveal() == TOKEN
    assert run_token_command(f"echo; echo {TOKEN}; echo extra").reveal() == TOKEN  # the first non-empty line


def test_command_failure_is_one_line_without_the_token() -> None:
    with pytest.raises(OAuthError) as info:
        run_token_command(f"echo {TOKEN}; echo 'refresh failed for {TOKEN}' >&2; echo 'AADSTS70043: expired' >&2; exit 3")
    text = str(info.value)
    assert text == (
        "smtp.oauth_token_command failed (exit status 3): AADSTS70043: expired. Run it yourself to see what it needs"
    )
    with pytest.raises(OAuthError) as info:
        run_token_command(f"echo {TOKEN}; echo 'bad token {TOKEN}' >&2; exit 1")
    assert TOKEN not in str(info.value) and "bad token [redacted]" in str(info.value)
    assert "\n" not in str(info.value)


def test_command_not_found_timeout_and_bad_output() -> None:
    with pytest.raises(ConfigError, match=r"^pressctl.toml: smtp.oauth_token_command was not found"):
        run_token_command("pressctl-no-such-token-tool")
    with pytest.raises(OAuthError, match=r"did not finish in 0.3 s"):
        run_token_command("sleep 5", timeout=0.3)
    with pytest.raises(OAuthError, match="gave no token"):
        run_token_command("true")
    with pytest.raises(OAuthError, match="has spaces") as info:
        run_token_command(f"echo 'Bearer {TOKEN}'")
    assert TOKEN not in str(info.value)


# -- token sources --------------------------------------------------------------------------------------
def test_environment_token() -> None:
    source = TokenSource(env={TOKEN_ENV: f" {TOKEN}\n"})
    token, generation = source.token()
    assert (token.reveal(), generation) == (TOKEN, 1)
    with pytest.raises(OAuthError, match=f"refused the token in {TOKEN_ENV}"):
        source.refresh(generation)  # the same token again: never retried
    with pytest.raises(OAuthError, match=f"{TOKEN_ENV} is not set and there is no smtp.oauth_token_command"):
        TokenSource(env={}).token()


def test_command_source_refreshes_once_per_generation(tmp_path: Path) -> None:
    source = TokenSource(command=_counting_command(tmp_path))
    assert source.token()[0].reveal() == "tok-1"
    assert source.token()[0].reveal() == "tok-1"  # cached
    fresh, gen = source.refresh(1)
    assert (fresh.reveal(), gen) == ("tok-2", 2)
    # A second connection refused with the old token does not fetch yet another one.
    assert source.refresh(1) == (Secret("tok-2"), 2)


# -- login against the scripted relays ------------------------------------------------------------------
async def _connect(server: ProviderServer | SmtpTestServer) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(hostname=server.host, port=server.port, start_tls=False, local_hostname="client.test")
    await client.connect()
    return client


@pytest.mark.parametrize("provider", [microsoft365, gmail])
def test_login_and_send(provider: object, tmp_path: Path) -> None:
    with ProviderServer(provider(tokens={"tok-1"})) as relay:  # type: ignore[operator]

        async def go() -> None:
            client = await _connect(relay)
            await login_xoauth2(client, USER, TokenSource(command=_counting_command(tmp_path)))
            await client.sendmail(USER, ["editor@news.test"], b"Subject: HVSP\r\n\r\nTidal bay.\r\n")
            await client.quit()

        asyncio.run(go())
        assert len(relay.accepted) == 1
        assert relay.logins == [("XOAUTH2", USER, True)]


@pytest.mark.parametrize("provider", [microsoft365, gmail])
def test_expired_token_is_fetched_again_and_retried_once(provider: object, tmp_path: Path) -> None:
    # The relay no longer takes tok-1 (expired); the command's next token is tok-2.
    with ProviderServer(provider(tokens={"tok-2"})) as relay:  # type: ignore[operator]
        source = TokenSource(command=_counting_command(tmp_path))

        async def go() -> None:
            client = await _connect(relay)
            await login_xoauth2(client, USER, source)
            await client.sendmail(USER, ["editor@news.test"], b"Subject: HVSP\r\n\r\nTidal bay.\r\n")
            await client.quit()

        asyncio.run(go())
        assert relay.logins == [("XOAUTH2", USER, False), ("XOAUTH2", USER, True)]
        assert source.generation == 2 and len(relay.accepted) == 1


def test_refused_twice_is_one_line_without_the_token(tmp_path: Path) -> None:
    with ProviderServer(gmail(tokens=set())) as relay:
        source = TokenSource(command=_counting_command(tmp_path, prefix=f"{TOKEN}-"))

        async def go() -> None:
            client = await _connect(relay)
            try:
                await login_xoauth2(client, USER, source)
            finally:
                client.close()

        with pytest.raises(OAuthError) as info:
            asyncio.run(go())
    text = str(info.value)
    assert text.startswith(f"127.0.0.1:{relay.port} refused the OAuth2 login for {USER} (535 5.7.8 Username")
    assert GOOGLE_BAD_TOKEN[4:] in text
    assert TOKEN not in text and TOKEN not in repr(info.value) and "\n" not in text
    assert [ok for _m, _u, ok in relay.logins] == [False, False]  # retried once, not more


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_relay_without_xoauth2() -> None:
    with SmtpTestServer(auth=("press", "secret")) as server:

        async def go() -> None:
            client = await _connect(server)
            try:
                await login_xoauth2(client, USER, TokenSource(env={TOKEN_ENV: TOKEN}))
            finally:
                client.close()

        with pytest.raises(OAuthError, match=r"does not offer OAuth2 \(XOAUTH2\) login; it offers LOGIN, PLAIN"):
            asyncio.run(go())


def test_too_many_logins_is_not_a_token_problem(tmp_path: Path) -> None:
    with ProviderServer(gmail(tokens={"tok-1"}, max_logins=1)) as relay:
        source = TokenSource(command=_counting_command(tmp_path))

        async def go() -> None:
            first = await _connect(relay)
            await login_xoauth2(first, USER, source)
            second = await _connect(relay)
            try:
                await login_xoauth2(second, USER, source)
            finally:
                second.close()
                await first.quit()

        with pytest.raises(OAuthError) as info:
            asyncio.run(go())
    assert info.value.outcome is not None and info.value.outcome.throttles == "connections"
    assert "refused the login for now (454 4.7.0 Too many login attempts" in str(info.value)
    assert source.generation == 1  # no new token fetched for it
