"""Every reply relays are known to give is read by meaning (pressctl/relays/replies.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.relays.actions import Action, classify, judge
from pressctl.relays.replies import RULES, Meaning, Reply, classify_lost, classify_reply, enhanced_status

M = Meaning

# (code, text after the code, stage, meaning): the provider texts of issue 11 and FACTS.md, the texts a real
# Postfix gave in tests/test_relays_postfix.py, and the everyday ones.
CASES: list[tuple[int, str, str, Meaning]] = [
    # sent
    (250, "2.0.0 Ok: queued as 4AF4720C793", "data", M.SENT),
    (250, "2.6.0 <x@hvsp.example> [InternalId=1] Queued mail for delivery", "data", M.SENT),
    # Microsoft 365
    (432, "4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more "
          "information. [Hostname=SOMEHOST]", "connect", M.SLOW_DOWN),
    (554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message "
          "due to a permanent exception with message [BeginDiagnosticData]", "data", M.STOP_FOR_NOW),
    (550, "5.7.233 Remote server returned 'Your message can't be sent because your organization has exceeded "
          "its limit for sending messages to external recipients'", "rcpt", M.STOP_FOR_NOW),
    (550, "5.2.251 Your mailbox is throttled due to continuous errors", "mail", M.STOP_FOR_NOW),
    (550, "5.2.252 SendAsDenied throttled", "mail", M.STOP_FOR_NOW),
    (550, "5.2.255 Mailbox throttled", "rcpt", M.STOP_FOR_NOW),
    (550, "5.7.30 Basic authentication is not supported for Client Submission.", "mail", M.AUTH),
    (535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "auth",
     M.AUTH),
    (535, "5.7.3 Authentication unsuccessful", "auth", M.AUTH),
    (530, "5.7.57 Client not authenticated to send mail.", "mail", M.AUTH),
    (451, "4.7.500 Server busy. Please try again later from [203.0.113.5]", "rcpt", M.SLOW_DOWN),
    # Google
    (550, "5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits "
          "please contact your administrator", "rcpt", M.STOP_FOR_NOW),
    (550, "5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to", "rcpt",
     M.STOP_FOR_NOW),
    (450, "4.2.1 Peak SMTP relay limit exceeded for customer. To protect our users from spam", "rcpt",
     M.SLOW_DOWN),
    (421, "4.7.0 Try again later, closing connection. (EHLO) s1-20020a.1 - gsmtp", "ehlo", M.SLOW_DOWN),
    (421, "4.7.0 Try again later, closing connection.", "rcpt", M.SLOW_DOWN),
    (454, "4.7.0 Too many login attempts, please try again later. For more information, go to", "auth",
     M.SLOW_DOWN),
    (450, "4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend later.", "rcpt",
     M.RETRY_RECIPIENT),
    (535, "5.7.8 Username and Password not accepted. For more information, go to", "auth", M.AUTH),
    # Amazon SES
    (454, "Throttling failure: Maximum sending rate exceeded.", "data", M.SLOW_DOWN),
    (454, "Throttling failure: Daily message quota exceeded.", "data", M.STOP_FOR_NOW),
    (554, "Message rejected: Email address is not verified. The following identities failed the check",
     "data", M.RECIPIENT_FAILED),
    (530, "Authentication required", "mail", M.AUTH),
    # Postfix (observed in tests/test_relays_postfix.py, and anvil's other texts from smtpd.c)
    (421, "4.7.0 mx.hvsp.test Error: too many connections from 127.0.0.1", "connect", M.SLOW_DOWN),
    (421, "4.7.0 mx.hvsp.test Error: too many new TLS sessions from 127.0.0.1", "connect", M.SLOW_DOWN),
    (450, "4.7.1 Error: too much mail from 127.0.0.1", "mail", M.SLOW_DOWN),
    (450, "4.7.1 Error: too many recipients from 127.0.0.1", "rcpt", M.SLOW_DOWN),
    (552, "5.3.4 Message size exceeds fixed limit", "mail", M.POLICY),
    (552, "5.3.4 Error: message file too big", "data", M.POLICY),
    (554, "5.7.1 <someone@elsewhere.test>: Relay access denied", "rcpt", M.POLICY),
    (550, "5.1.1 <nobody@hvsp.test>: Recipient address rejected: User unknown in virtual mailbox table", "rcpt",
     M.RECIPIENT_FAILED),
    (450, "4.2.0 <x@hvsp.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/",
     "rcpt", M.RETRY_RECIPIENT),
    (452, "4.3.1 Insufficient system storage", "mail", M.RETRY_RECIPIENT),
    (421, "4.3.2 Service shutting down", "rcpt", M.RETRY_RECIPIENT),
    # everyday
    (450, "4.2.1 Mailbox busy, try later", "rcpt", M.RETRY_RECIPIENT),
    (451, "4.3.0 Local error, try later", "rcpt", M.RETRY_RECIPIENT),
    (451, "4.7.1 Please try again later (greylisting)", "rcpt", M.RETRY_RECIPIENT),
    (550, "5.1.1 No such user here", "rcpt", M.RECIPIENT_FAILED),
    (552, "5.2.2 Mailbox full", "rcpt", M.RETRY_RECIPIENT),
    (553, "5.1.8 sender domain unknown", "mail", M.POLICY),
    (554, "5.7.1 Message rejected as spam", "data", M.POLICY),
    (550, "Requested action not taken: mailbox unavailable", "rcpt", M.RECIPIENT_FAILED),
    (554, "Transaction failed", "data", M.RECIPIENT_FAILED),
    (554, "5.7.1 No SMTP service here", "connect", M.POLICY),
    # the relay's own errors, not about a mailbox (held: the same one for everyone is the relay's fault)
    (500, "Error: (FileNotFoundError) [Errno 2] No such file or directory: '/var/spool/q/1'", "data",
     M.RECIPIENT_FAILED),
    (554, "5.3.0 Mail system error", "data", M.RECIPIENT_FAILED),
]


def test_relay_side_refusals_name_no_mailbox() -> None:
    assert classify(500, "Error: (FileNotFoundError)", stage="data").relay_side
    assert classify(502, "5.5.2 Error: command not recognized", stage="rcpt").relay_side
    assert classify(554, "5.3.0 Mail system error", stage="data").relay_side
    assert not classify(501, "5.1.3 Bad recipient address syntax", stage="rcpt").relay_side
    assert not classify(550, "5.1.1 No such user here", stage="rcpt").relay_side
    assert not classify(550, "Requested action not taken: mailbox unavailable", stage="rcpt").relay_side
    assert not classify(552, "5.2.2 Mailbox full", stage="rcpt").relay_side
    assert not classify(552, "5.3.4 Message too big", stage="data").relay_side  # policy: the run stops


@pytest.mark.parametrize(("code", "text", "stage", "meaning"), CASES, ids=[f"{c[0]}-{c[1][:30]}" for c in CASES])
def test_known_replies(code: int, text: str, stage: str, meaning: Meaning) -> None:
    verdict = classify_reply(code, text, stage=stage)  # type: ignore[arg-type]
    assert verdict.meaning is meaning, verdict


def test_charged_only_for_the_recipients_own_fate() -> None:
    charged = {m: classify(c, t, stage=s).charged for c, t, s, m in CASES}  # type: ignore[arg-type]
    assert charged == {
        M.SENT: True, M.RETRY_RECIPIENT: True, M.RECIPIENT_FAILED: True,
        M.SLOW_DOWN: False, M.STOP_FOR_NOW: False, M.AUTH: False, M.POLICY: False,
    }
    assert judge(Reply(None, "connection lost", "data")).charged


def test_what_the_run_does() -> None:
    quota = classify(454, "Throttling failure: Daily message quota exceeded.")
    assert quota.action is Action.STOP_RELAY
    auth = classify(535, "5.7.8 Authentication credentials invalid", stage="auth")
    assert auth.action is Action.AUTH_FAILED
    assert classify_reply(421, "4.7.0 Try again later, closing connection.").reconnect
    assert classify_reply(432, "4.3.2 Concurrent connections limit exceeded").reconnect
    assert not classify_reply(450, "4.7.1 Error: too much mail from 127.0.0.1").reconnect


def test_bounce_only_for_addresses_that_do_not_exist() -> None:
    assert classify(550, "5.1.1 No such user here", stage="rcpt").bounce
    assert classify(550, "5.1.10 Recipient not found", stage="data").bounce
    assert not classify(552, "5.2.2 Mailbox full", stage="rcpt").bounce
    assert not classify(553, "5.1.8 sender domain unknown", stage="mail").bounce  # our sender, not theirs
    assert not classify(450, "4.1.1 try later", stage="rcpt").bounce


def test_profile_specific_rules() -> None:
    bare = classify_reply(454, "Temporary failure, try again", stage="data")
    assert bare.meaning is M.RETRY_RECIPIENT
    assert classify_reply(454, "Temporary failure, try again", stage="data", profile="ses").meaning is M.SLOW_DOWN


def test_connection_lost() -> None:
    before = classify_lost("rcpt", "ConnectionResetError")
    assert before.meaning is M.RETRY_RECIPIENT and before.reconnect
    after = classify_lost("data")
    assert after.meaning is M.UNKNOWN and "may have it" in after.describe()


def test_enhanced_status() -> None:
    assert enhanced_status(421, "4.7.0 Try again later") == "4.7.0"
    assert enhanced_status(550, "5.7.233 limit") == "5.7.233"
    assert enhanced_status(550, "5.07.001 padded") == "5.7.1"
    assert enhanced_status(550, "4.7.0 wrong class") is None
    assert enhanced_status(454, "Throttling failure") is None
    assert enhanced_status(250, "2.0.0 Ok") == "2.0.0"


def test_describe_names_reason_and_reply() -> None:
    verdict = classify_reply(432, "4.3.2 Concurrent connections limit exceeded", stage="connect")
    assert verdict.describe() == (
        "too many connections at once (Microsoft 365: 3) (432 4.3.2 Concurrent connections limit exceeded)"
    )


def test_every_rule_is_reached() -> None:
    """No rule is dead: each is what decided at least one case here or in the extra list."""
    extra = [
        (538, "5.7.11 Encryption required for requested authentication mechanism", "auth"),
        (454, "4.7.0 Temporary authentication failure", "auth"),
        (451, "4.4.5 Server busy", "rcpt"),
        (451, "4.7.0 Rate limit exceeded, slow down", "mail"),
        (421, "Too many sessions", "connect"),
        (421, "Service not available", "connect"),
        (503, "5.5.1 Error: authentication not enabled", "auth"),
        (550, "Daily recipient quota reached", "rcpt"),
        (552, "Message too large", "data"),
        (999, "nonsense", "rcpt"),
        (554, "5.7.8 Authentication credentials invalid", "mail"),
        (450, "4.7.1 Client host rejected: cannot find your hostname", "rcpt"),
        (450, "4.2.1 Try again later", "rcpt"),
        (432, "4.3.2 System not accepting network messages", "connect"),
        (454, "4.3.0 Try again", "auth"),
    ]
    used = {classify_reply(c, t, stage=s).rule for c, t, s, _m in CASES}  # type: ignore[arg-type]
    used |= {classify_reply(c, t, stage=s).rule for c, t, s in extra}  # type: ignore[arg-type]
    used.add(classify_reply(454, "Temporary service failure", stage="data", profile="ses").rule)
    assert {r.name for r in RULES} - used == set()


@given(st.integers(200, 599), st.text(max_size=80), st.sampled_from(["connect", "ehlo", "auth", "mail", "rcpt",
                                                                       "data", ""]))
def test_every_reply_gets_a_meaning(code: int, text: str, stage: str) -> None:
    verdict = classify_reply(code, text, stage=stage)  # type: ignore[arg-type]
    assert isinstance(verdict.meaning, Meaning)
    # The class is never contradicted: only 2xx is sent; 5xx is never a plain retry of the recipient.
    assert (verdict.meaning is M.SENT) == (200 <= code < 300)
    if code >= 500:
        assert verdict.meaning is not M.RETRY_RECIPIENT


def test_what_a_throttle_cuts() -> None:
    assert classify(421, "4.7.0 mx Error: too many connections from 127.0.0.1", stage="connect").throttles == "connections"
    assert classify(454, "4.7.0 Too many login attempts", stage="auth").throttles == "connections"
    assert classify(450, "4.7.1 Error: too much mail from 127.0.0.1", stage="mail").throttles == "rate"
    assert classify(421, "4.7.0 Try again later, closing connection.", stage="rcpt").throttles == "both"
    assert classify(250, "2.0.0 Ok", stage="data").throttles is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("5.1.1", "dead"), ("5.1.10", "dead"), ("5.1.2", "dead"), ("5.01.001", "dead"), ("5.1.6", "dead"),
        ("5.1.8", "other"),  # our sender's address, not theirs
        ("5.2.2", "full"), ("5.7.1", "policy"), ("5.7.26", "policy"), ("5.3.4", "size"), ("5.2.3", "size"),
        ("5.0.0", "other"), ("5.4.4", "other"), ("", "other"), (None, "other"), ("junk", "other"),
    ],
)
def test_bounce_class_is_one_rule_for_send_time_and_bounces(status: str | None, kind: str) -> None:
    from pressctl.relays.replies import BOUNCE_ADVICE, bounce_class

    assert bounce_class(status) == kind
    assert BOUNCE_ADVICE[kind]
    if status and status[0] == "5" and "." in status and kind in ("dead", "full"):
        verdict = classify(550 if kind == "dead" else 552, f"{status} mailbox", stage="rcpt")
        assert verdict.bounce is (kind == "dead")
        assert (verdict.meaning is M.RETRY_RECIPIENT) is (kind == "full")  # a full mailbox: this recipient later
