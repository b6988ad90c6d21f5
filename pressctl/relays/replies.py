"""What an SMTP reply means: one table of rules, read by meaning, not only by reply class.

The transport reports what the relay said as a :class:`Reply` (code, text, the stage: connect, ehlo,
starttls, auth, mail, rcpt, data, quit; or, with no reply, the connection error) and decides nothing.
:func:`read_reply` reads it once into a :class:`Verdict` with one of these meanings:

========================  ==============================================================
meaning                   what the relay is saying
========================  ==============================================================
``sent``                  it took the message
``retry-recipient``       not this recipient now (greylisting, a busy mailbox, another 4xx)
``slow-down``             we are too fast for it: too many connections or messages
``stop-for-now``          a daily or account quota is used up, or the mailbox is throttled
``auth``                  the login is refused (530/535, Microsoft 365's basic auth off)
``policy``                it refuses this sender or message (5.7.x, a message too big)
``recipient-failed``      a permanent refusal for this recipient (5.1.x and other 5xx)
``unknown``               the connection was lost after the data: it may have the message
========================  ==============================================================

A rule may also name the refusal's *cause* when it is not the recipient's: ``relay`` (a syntax or local
error of the relay's own, not about a mailbox) or ``size`` (the message is larger than the relay takes).
What the run does with each meaning and cause is one table in :mod:`pressctl.relays.actions`.

The rules are data (:data:`RULES`), tried in order, first match wins; the fallbacks follow RFC 5321/3463
reply classes. Pure: no I/O. Sources of the provider texts: docs/relays.md.

:func:`bounce_class` is the one reading of what a permanent failure says about the *address*, shared by the
send (a refusal at RCPT or DATA) and ``pressctl bounces`` (a DSN's Status): only a dead mailbox or domain
(5.1.x, including Microsoft's 5.1.10) takes an address off the list; a full mailbox (5.2.2) is soft (tried
again later; three soft bounces in 90 days suppress); a policy refusal (5.7.x: a spam filter, sender
authentication) or a message too big (5.3.4, 5.2.3) fails that message without suppressing anybody, with
what to do (:data:`BOUNCE_ADVICE`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "BOUNCE_ADVICE",
    "CONNECTING",
    "DEAD_STATUSES",
    "RELAY_SIDE",
    "RULES",
    "BounceClass",
    "Cause",
    "Meaning",
    "Reply",
    "Rule",
    "Stage",
    "Verdict",
    "bounce_class",
    "classify_lost",
    "classify_reply",
    "enhanced_status",
    "read_reply",
]

#: Where in the conversation a reply came ("": not known, e.g. a reply read on its own).
Stage = Literal["connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "quit", ""]

#: The stages of opening a connection: nothing has been handed over yet.
CONNECTING: frozenset[str] = frozenset({"connect", "ehlo", "starttls", "auth"})

#: Whose a refusal is when it is not the recipient's: the relay's own error, or the message's size.
Cause = Literal["", "relay", "size"]


class Meaning(StrEnum):
    SENT = "sent"
    RETRY_RECIPIENT = "retry-recipient"
    SLOW_DOWN = "slow-down"
    STOP_FOR_NOW = "stop-for-now"
    AUTH = "auth"
    POLICY = "policy"
    RECIPIENT_FAILED = "recipient-failed"
    UNKNOWN = "unknown"


#: Enhanced statuses that say the *address* does not exist (suppression-worthy), at send time and in a DSN:
#: bad mailbox (5.1.0, 5.1.1, Microsoft's 5.1.10), bad system or domain (5.1.2), bad syntax (5.1.3), moved
#: with no forwarding (5.1.6). 5.1.7 and 5.1.8 are about our sender, 5.1.4 and 5.1.5 about neither.
DEAD_STATUSES = frozenset({"5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"})

_STATUS_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_ANY_STATUS = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")

#: What a permanent failure says about the address (see :func:`bounce_class`).
BounceClass = Literal["dead", "full", "policy", "size", "other"]

#: What the press office can do about each class, for the lists ``pressctl bounces`` and the report print.
BOUNCE_ADVICE: dict[str, str] = {
    "dead": "the address does not exist: suppressed (pressctl suppress remove ADDR only if it is wrong)",
    "full": "the mailbox is full: nothing to do; three soft bounces within 90 days suppress it",
    "policy": "refused by the recipient's mail server as policy (a spam filter or sender authentication): "
    "check SPF, DKIM and DMARC for the From domain, or ask the journalist to allow it; then "
    "`pressctl send RELEASE --retry-failed`",
    "size": "too big for the recipient's mailbox: send it with a linked PDF (--pdf link) to this journalist",
    "other": "refused for a reason that does not say the address is dead: read the diagnostic; "
    "`pressctl suppress add ADDR` if it is",
}


def bounce_class(status: str | None) -> BounceClass:
    """What an enhanced status (``5.1.1``, ``5.7.1``; leading zeros allowed) says about the recipient's
    address: the one rule for a refusal at send time and for a DSN. Anything not 5.1.x-dead, 5.2.2, 5.7.x or
    5.3.4/5.2.3 (and no status at all) is ``other``: never a reason to suppress."""
    match = _ANY_STATUS.fullmatch((status or "").strip())
    if not match:
        return "other"
    normal = f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"
    if normal in DEAD_STATUSES:
        return "dead"
    if normal == "5.2.2":
        return "full"
    if normal in ("5.3.4", "5.2.3"):
        return "size"
    if normal.startswith("5.7."):
        return "policy"
    return "other"


@dataclass(frozen=True)
class Rule:
    """One row of the table. Every given condition must hold; ``None``/empty means "any".

    ``status`` is a regular expression matched against the whole enhanced status (``r"5\\.2\\.25[1-5]"``);
    ``text`` is searched case-insensitively in the reply text; ``stages`` limits where the reply came;
    ``profiles`` limits the rule to replies from relays of those profiles (see ``profiles.py``); ``cause``
    says the refusal is not about the recipient (see :data:`Cause`).
    """

    name: str
    meaning: Meaning
    reason: str
    codes: tuple[int, ...] = ()
    code_class: int | None = None  # 4 or 5: any 4xx / 5xx
    status: str | None = None
    text: str | None = None
    stages: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    reconnect: bool = False
    cause: Cause = ""

    def matches(self, code: int, status: str | None, text: str, stage: str, profile: str | None) -> bool:
        if self.codes and code not in self.codes:
            return False
        if self.code_class is not None and code // 100 != self.code_class:
            return False
        if self.status is not None and (status is None or not re.fullmatch(self.status, status)):
            return False
        if self.text is not None and not re.search(self.text, text, re.IGNORECASE):
            return False
        if self.stages and stage not in self.stages:
            return False
        return not (self.profiles and profile not in self.profiles)


M = Meaning

#: Tried in order; the first rule that matches decides. Specific provider texts first, then the
#: enhanced-status families, then the reply classes.
RULES: tuple[Rule, ...] = (
    Rule("success", M.SENT, "accepted", code_class=2),
    # -- quotas: stop for now, resume later (before the throttling rules: SES uses 454 for both) --------
    Rule("ses-daily-quota", M.STOP_FOR_NOW, "the account's daily sending quota is used up (Amazon SES)",
         text=r"daily message quota exceeded"),
    Rule("m365-submission-quota", M.STOP_FOR_NOW, "the mailbox's daily recipient limit is reached (Microsoft 365)",
         text=r"SubmissionQuotaExceeded"),
    Rule("m365-tenant-external-limit", M.STOP_FOR_NOW,
         "the organisation's daily limit for external recipients is reached (Microsoft 365)",
         code_class=5, status=r"5\.7\.233"),
    Rule("m365-mailbox-throttled", M.STOP_FOR_NOW,
         "the mailbox is throttled after repeated errors (Microsoft 365)",
         code_class=5, status=r"5\.2\.25[1-5]"),
    Rule("google-daily-limit", M.STOP_FOR_NOW, "the user's daily sending limit is reached (Google)",
         code_class=5, status=r"5\.4\.5"),
    Rule("daily-limit-text", M.STOP_FOR_NOW, "a daily sending limit is reached",
         text=r"daily (user )?(sending |smtp relay |message |recipient )?(limit|quota)"),
    # -- authentication -------------------------------------------------------------------------------
    Rule("m365-basic-auth-off", M.AUTH,
         "basic authentication is switched off for this mailbox or tenant (Microsoft 365): use OAuth2",
         code_class=5, status=r"5\.7\.(30|139)"),
    Rule("m365-not-authenticated", M.AUTH, "the relay says the client is not logged in (Microsoft 365)",
         code_class=5, status=r"5\.7\.57"),
    Rule("auth-codes", M.AUTH, "the relay refused the login", codes=(530, 534, 535, 538)),
    Rule("auth-status", M.AUTH, "the relay refused the login", code_class=5, status=r"5\.7\.(8|9|11|12|13|14)"),
    # -- throttling: slow down ------------------------------------------------------------------------
    Rule("ses-rate", M.SLOW_DOWN, "sending faster than the account's rate (Amazon SES)",
         text=r"maximum sending rate exceeded|throttling failure"),
    Rule("google-login-attempts", M.SLOW_DOWN, "too many logins: fewer, longer connections (Google)",
         text=r"too many login attempts"),
    Rule("m365-concurrent-connections", M.SLOW_DOWN, "too many connections at once (Microsoft 365: 3)",
         text=r"concurrent connections limit exceeded", reconnect=True),
    Rule("code-432", M.SLOW_DOWN, "the relay takes no more connections now", codes=(432,), reconnect=True),
    Rule("postfix-too-much-mail", M.SLOW_DOWN, "too many messages per time unit (Postfix anvil)",
         text=r"too much mail from"),
    Rule("postfix-too-many-recipients", M.SLOW_DOWN, "too many recipients per time unit (Postfix anvil)",
         text=r"too many recipients from"),
    Rule("too-many-connections", M.SLOW_DOWN, "too many connections (Postfix anvil or similar)",
         text=r"too many (new tls sessions|connections|sessions)", reconnect=True),
    Rule("google-peak-limit", M.SLOW_DOWN, "the relay's peak sending limit is exceeded (Google)",
         text=r"peak smtp relay limit"),
    Rule("ses-454", M.SLOW_DOWN, "the relay throttles (Amazon SES)", codes=(454,), profiles=("ses",)),
    Rule("throttle-text", M.SLOW_DOWN, "the relay throttles",
         code_class=4, text=r"throttl|rate limit|too many messages|sending rate|slow down"),
    Rule("greylisting", M.RETRY_RECIPIENT, "greylisted: this recipient later", code_class=4,
         text=r"greylist|graylist|try again in \d+ ?(s|sec|seconds|min)"),
    Rule("temp-auth-454", M.AUTH, "the relay could not log us in", codes=(454,), text=r"auth"),
    Rule("421-4.7.0", M.SLOW_DOWN, "the relay asks us to come back later", codes=(421,), status=r"4\.7\.\d+",
         reconnect=True),
    Rule("451-4.7.x", M.SLOW_DOWN, "the relay throttles", codes=(451, 454), status=r"4\.7\.\d+"),
    Rule("congestion-4.4.5", M.SLOW_DOWN, "the relay is congested", code_class=4, status=r"4\.4\.5"),
    Rule("recipient-rate-4.2.1", M.RETRY_RECIPIENT, "this mailbox is busy or receiving too fast",
         code_class=4, status=r"4\.2\.1", text=r"mailbox|receiving mail|user you are trying"),
    Rule("450-4.2.1", M.SLOW_DOWN, "the relay throttles", codes=(450,), status=r"4\.2\.1"),
    Rule("any-4.7.x", M.SLOW_DOWN, "the relay defers us by policy", code_class=4, status=r"4\.7\.\d+"),
    # A full mailbox is soft (bounce_class "full"), as a DSN saying so is: this recipient later.
    Rule("mailbox-full-5.2.2", M.RETRY_RECIPIENT, "the mailbox is full: this recipient later",
         code_class=5, status=r"5\.2\.2", stages=("rcpt", "data", "")),
    Rule("connect-421", M.SLOW_DOWN, "the relay refused another connection", codes=(421,),
         stages=("connect", "ehlo", "starttls"), reconnect=True),
    # -- refusals of the sender, the message or the login at its stage ---------------------------------
    Rule("message-too-big", M.POLICY, "the message is larger than this relay accepts",
         code_class=5, status=r"5\.(3\.4|2\.3)", cause="size"),
    Rule("message-too-big-552", M.POLICY, "the message is larger than this relay accepts", codes=(552,),
         text=r"size|too (big|large)", cause="size"),
    Rule("auth-stage-5xx", M.AUTH, "the relay refused the login", code_class=5, stages=("auth",)),
    Rule("auth-stage-4xx", M.AUTH, "the relay could not log us in now", code_class=4, stages=("auth",)),
    Rule("sender-refused", M.POLICY, "the relay refuses our sender address", code_class=5, stages=("mail",)),
    Rule("connect-refused", M.POLICY, "the relay refuses connections from this machine", code_class=5,
         stages=("connect", "ehlo", "starttls")),
    Rule("policy-5.7.x", M.POLICY, "the relay refuses this by policy", code_class=5, status=r"5\.7\.\d+"),
    # -- per recipient --------------------------------------------------------------------------------
    Rule("421-closing", M.RETRY_RECIPIENT, "the relay closed the connection; try again", codes=(421,),
         reconnect=True),
    Rule("transient", M.RETRY_RECIPIENT, "a passing refusal; this recipient later", code_class=4),
    # Refusals that name no mailbox: a syntax or local error, or the relay's own mail system (RELAY_SIDE; the
    # engine holds them, and the same one for recipient after recipient is the relay's fault, not theirs).
    Rule("relay-local-error", M.RECIPIENT_FAILED, "the relay answered with a syntax or local error, not about "
         "this mailbox", codes=(500, 501, 502, 503, 504), text=r"^(?!5\.[12]\.)", cause="relay"),
    Rule("relay-system-error", M.RECIPIENT_FAILED, "the relay's mail system refused it, not about this mailbox",
         code_class=5, status=r"5\.3\.\d+", cause="relay"),
    Rule("permanent", M.RECIPIENT_FAILED, "refused for this recipient", code_class=5),
)

#: Rules whose refusal may be the relay's fault rather than the recipient's (see ``send/relayfault.py``).
RELAY_SIDE = frozenset(rule.name for rule in RULES if rule.cause == "relay")


@dataclass(frozen=True)
class Reply:
    """What a relay said, as the transport reports it: no reading, no decision.

    ``code`` and ``text`` are the reply (``text`` what follows the code, lines joined). With no reply
    (``code`` None), ``error`` says what happened instead (the connection error, ``"TimeoutError: ..."``) and
    ``text`` the line the ledger keeps for it. ``here``: refused before anything reached the relay (it
    takes no international addresses; an address the SMTP library refuses). ``closed``: the connection is
    no longer usable after it. ``sender``: the envelope sender of a MAIL FROM refusal, named in its line.
    """

    code: int | None
    text: str = ""
    stage: Stage = ""
    error: str = ""
    here: bool = False
    closed: bool = False
    sender: str = ""


@dataclass(frozen=True)
class Verdict:
    """One reply read by meaning. ``reason`` is the short line the report shows; ``rule`` the rule of
    :data:`RULES` that decided; ``cause`` whose refusal it is when not the recipient's; ``reconnect``: the
    connection is no longer usable."""

    meaning: Meaning
    code: int | None
    status: str | None
    text: str
    stage: str
    rule: str
    reason: str
    reconnect: bool = False
    cause: Cause = ""

    def describe(self) -> str:
        """``reason (code text)``: for the report; the reply text is the relay's own, never ours."""
        reply = " ".join(str(p) for p in (self.code, self.text) if p)
        return f"{self.reason} ({reply})" if reply else self.reason


def enhanced_status(code: int, text: str) -> str | None:
    """The RFC 3463 enhanced status at the start of ``text`` (``"4.7.0"``), if its class matches ``code``."""
    match = _STATUS_RE.match(text.lstrip())
    if not match or match.group(1) != str(code)[0]:
        return None
    return f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"


def classify_reply(code: int, text: str, *, stage: Stage = "", profile: str | None = None) -> Verdict:
    """Read one reply. ``text`` is what follows the code (aiosmtplib's ``exc.message``), lines joined.

    A code outside 200-599 is read as a permanent failure, as no rule of the table fits it.
    """
    text = " ".join(text.split())
    status = enhanced_status(code, text)
    for rule in RULES:
        if rule.matches(code, status, text, stage, profile):
            return Verdict(
                rule.meaning, code, status, text, stage, rule.name, rule.reason, rule.reconnect, rule.cause
            )
    return Verdict(Meaning.RECIPIENT_FAILED, code, status, text, stage, "unexpected-code", "an unexpected reply")


def classify_lost(stage: Stage, why: str = "") -> Verdict:
    """The connection was lost (timeout, reset) without a reply.

    Before the end of the data nothing was handed over: this recipient again later (while the connection
    was being opened, the relay could not be used at all). After the final "." the relay may have the
    message: ``unknown`` (send again with the same Message-ID).
    """
    detail = f" ({why})" if why else ""
    if stage in CONNECTING:
        return Verdict(
            Meaning.RETRY_RECIPIENT, None, None, "", stage, "unreachable",
            f"the relay could not be reached or the connection failed while opening{detail}", reconnect=True,
        )
    if stage == "data":
        return Verdict(
            Meaning.UNKNOWN, None, None, "", stage, "lost-after-data",
            f"connection lost after the message; the relay may have it{detail}", reconnect=True,
        )
    return Verdict(
        Meaning.RETRY_RECIPIENT, None, None, "", stage, "lost-before-data",
        f"connection lost before the message was handed over{detail}", reconnect=True,
    )


def read_reply(reply: Reply, *, profile: str | None = None) -> Verdict:
    """The one reading of what the transport reported, with the relay's profile (its provider texts)."""
    if reply.here:
        return Verdict(
            Meaning.RECIPIENT_FAILED, None, None, reply.text, reply.stage, "refused-here", "refused before sending"
        )
    if reply.code is None:
        return classify_lost(reply.stage, reply.error)
    verdict = classify_reply(reply.code, reply.text, stage=reply.stage, profile=profile)
    return dataclasses.replace(verdict, reconnect=True) if reply.closed and not verdict.reconnect else verdict
