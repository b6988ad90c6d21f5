"""A hostile bounce mailbox for issue 17, written as an attacker (or a careless correspondent) would, next to
the two messages that are real: one real DSN and one unsubscribe carrying the reader's token.

``sent_campaign(tmp_path)`` sends a release through aiosmtpd (``SmtpTestServer``) from a workspace with a
VERP ``return_path`` to the desk below, and returns what each journalist received (Message-ID, signed
return path, List-Unsubscribe). ``hostile_messages(sent)`` are the messages, by name; ``drop`` puts one in a
Maildir as a delivery agent does (with the delivery block it would write on top); ``fifo`` and ``link`` are
the two files no reader may open.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from send_support import make_workspace, run_cli, write_release
from smtp_server import SmtpTestServer

__all__ = [
    "DESK",
    "Journalist",
    "SentCampaign",
    "copy_workspace",
    "drop",
    "fifo",
    "hostile_messages",
    "link",
    "maildir",
    "odd_name",
    "sent_campaign",
]

VERP = "bounces+{local}={domain}@hvsp.example"

# Who is who in the hostile mailbox.
DESK = {
    "amy": "amy.chan@harbourdaily.example",  # an insider: forges a DSN about colleagues; replies "don't unsubscribe me"
    "bea": "bea.lam@harbourdaily.example",  # named by the insider's DSN
    "cal": "cal.ho@islandwire.example",  # named by the insider's DSN
    "dan": "dan.yip@tidetimes.example",  # a real 5.7.1 (spam filter): fails, not suppressed
    "eve": "eve.ma@tidetimes.example",  # a real 5.2.2 (mailbox full): soft
    "fay": "fay.kwok@lantaunews.example",  # the real DSN, 5.1.1: bounced and suppressed
    "gus": "gus.tang@bayweekly.example",  # the real, tokened unsubscribe: suppressed
    "hal": "hal.chu@bayweekly.example",  # forged unsubscribes name him
    "ian": "ian.wu@eastharbour.example",  # forged VERP bounces name him
}


@dataclass(frozen=True)
class Journalist:
    address: str
    message_id: str
    return_path: str  # the signed VERP MAIL FROM their message went out with
    list_unsubscribe: str  # the mailto URL of their List-Unsubscribe header


@dataclass(frozen=True)
class SentCampaign:
    ws: Path
    desk: dict[str, Journalist]


def sent_campaign(tmp_path: Path) -> SentCampaign:
    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("[sender]", f'[sender]\nreturn_path = "{VERP}"', 1), encoding="utf-8"
    )
    release = write_release(ws)
    contacts = ws / "contacts" / "desk.csv"
    contacts.write_text(
        "email,first_name\n" + "".join(f"{a},{k.title()}\n" for k, a in DESK.items()), encoding="utf-8"
    )
    with SmtpTestServer() as server:
        done = run_cli(["send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes"], cwd=ws)
        assert done.returncode == 0, done.stderr
        received = {m.rcpt: m for m in server.accepted}
    desk: dict[str, Journalist] = {}
    for key, address in DESK.items():
        m = received[address]
        header = str(m.headers["List-Unsubscribe"])
        mailto = next(part.strip(" <>") for part in header.split(",") if "mailto:" in part)
        desk[key] = Journalist(address, m.message_id, m.mail_from, mailto)
    return SentCampaign(ws, desk)


def maildir(root: Path) -> Path:
    box = root / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    return box


def drop(box: Path, name: str, raw: bytes) -> Path:
    path = box / "new" / f"1773280{len(os.listdir(box / 'new')):03d}.{name}.hvsp-mx"
    (box / "tmp" / path.name).write_bytes(raw)
    os.replace(box / "tmp" / path.name, path)
    return path


def fifo(box: Path) -> Path:
    path = box / "new" / "1773289000.fifo.hvsp-mx"
    os.mkfifo(path)
    return path


def link(box: Path, target: str = "/etc/passwd") -> Path:
    path = box / "new" / f"1773289001.link-{Path(target).name}.hvsp-mx"
    path.symlink_to(target)
    return path


def odd_name(box: Path, raw: bytes) -> Path:
    """A message whose file name is not UTF-8 (a mail client on another system wrote it)."""
    name = b"1773289002.\xff\xfe-latin1-\xe9.hvsp-mx"
    path = os.path.join(os.fsencode(box / "new"), name)
    with open(path, "wb") as fh:
        fh.write(raw)
    return Path(os.fsdecode(path))


def _delivered(to: str, rest: str) -> bytes:
    """What a delivery agent files: its delivery block, the receiving server's Received line, the message."""
    return (
        f"Return-Path: <>\r\nX-Original-To: {to}\r\nDelivered-To: {to}\r\n"
        "Received: from mx.elsewhere.example (mx.elsewhere.example [192.0.2.77]) by mail.hvsp.example\r\n"
        f"{rest}"
    ).encode()


def _report(to: str, returned_id: str, rows: list[tuple[str, str, str]], *, sender: str = "MAILER-DAEMON@mx.elsewhere.example") -> bytes:
    """A multipart/report DSN delivered to ``to``: ``rows`` are (Final-Recipient, Status, Diagnostic)."""
    blocks = "".join(
        f"Final-Recipient: rfc822; {a}\r\nOriginal-Recipient: rfc822;{a}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Remote-MTA: dns; mx.elsewhere.example\r\nDiagnostic-Code: smtp; {diag}\r\n\r\n"
        for a, status, diag in rows
    )
    return _delivered(
        to,
        f"From: Mail Delivery System <{sender}>\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{hashlib.sha256(repr((to, returned_id, rows)).encode()).hexdigest()[:20]}@mx.elsewhere.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"\r\n\r\n'
        "--DSN\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n\r\n"
        "--DSN\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.elsewhere.example\r\n\r\n"
        f"{blocks}--DSN\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: HVSP Press Office <press@hvsp.example>\r\n"
        f"Subject: Harbourview Science Park Names Its First Marine Robotics Fellows\r\nMessage-ID: {returned_id}\r\n\r\n"
        "--DSN--\r\n",
    )


def _mail(to: str, headers: str, body: str, *, charset: str = "utf-8") -> bytes:
    return _delivered(
        to, f"{headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n\r\n{body}\r\n"
    )


def _nested(to: str, depth: int) -> bytes:
    body = "Content-Type: text/plain\r\n\r\nunsubscribe\r\n"
    for n in range(depth):
        body = f'Content-Type: multipart/mixed; boundary="n{n}"\r\n\r\n--n{n}\r\n{body}\r\n--n{n}--\r\n'
    return _delivered(to, f"From: hal.chu@bayweekly.example\r\nTo: {to}\r\nSubject: unsubscribe\r\nMIME-Version: 1.0\r\n{body}")


def _tokened_unsubscribe(j: Journalist) -> bytes:
    """What a mail client sends for the reader's List-Unsubscribe mailto (the address and its ?subject=)."""
    url = j.list_unsubscribe.removeprefix("mailto:")
    to, _, query = url.partition("?")
    subject = next((unquote(p[8:]) for p in query.split("&") if p.lower().startswith("subject=")), "unsubscribe")
    return _mail(unquote(to), f"From: {j.address}\r\nTo: {unquote(to)}\r\nSubject: {subject}\r\n"
                 "Message-ID: <mailto-unsub-7@bayweekly.example>\r\n", "")


def hostile_messages(sent: SentCampaign) -> dict[str, bytes]:
    """Every message of the hostile mailbox, by name; ``real-dsn`` and ``tokened-unsubscribe`` are the real two."""
    d = sent.desk
    press = "press@hvsp.example"
    unverp = "bounces+ian.wu=eastharbour.example@hvsp.example"
    return {
        # the two that are real
        "real-dsn": _report(d["fay"].return_path, d["fay"].message_id,
                            [(d["fay"].address, "5.1.1", "550 5.1.1 <fay.kwok@lantaunews.example>: User unknown")]),
        "tokened-unsubscribe": _tokened_unsubscribe(d["gus"]),
        # real DSNs that do not say the address is dead
        "dsn-5.7.1": _report(d["dan"].return_path, d["dan"].message_id,
                             [(d["dan"].address, "5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering")]),
        "dsn-5.2.2": _report(d["eve"].return_path, d["eve"].message_id,
                             [(d["eve"].address, "5.2.2", "552 5.2.2 Mailbox full")]),
        # forged unsubscribes: From: is not proof
        "forged-unsubscribe": _mail(press, f"From: {d['hal'].address}\r\nTo: {press}\r\nSubject: unsubscribe\r\n", "remove me"),
        "forged-unsubscribe-zh": _mail("unsubscribe@hvsp.example", f"From: {d['hal'].address}\r\n"
                                       "To: unsubscribe@hvsp.example\r\nSubject: =?utf-8?b?5Y+W5raI6KiC6Zax?=\r\n", "取消訂閱"),
        # forged VERP bounces: three lines, and a full report to an unsigned VERP address
        "forged-verp-3-lines": _mail(press, f"From: MAILER-DAEMON@mx.elsewhere.example\r\nTo: {unverp}\r\n"
                                     "Subject: Undelivered Mail Returned to Sender\r\n", "Your message could not be delivered."),
        "forged-verp-report": _report(unverp, "<0000feed@mx.elsewhere.example>",
                                      [(d["ian"].address, "5.1.1", "550 5.1.1 User unknown")]),
        # an insider's DSN: amy quotes her own Message-ID and names two colleagues
        "insider-dsn": _report(press, d["amy"].message_id,
                               [(d["bea"].address, "5.1.1", "550 5.1.1 User unknown"),
                                (d["cal"].address, "5.1.1", "550 5.1.1 User unknown")], sender=d["amy"].address),
        # a real reply that mentions unsubscribing
        "reply-dont-unsubscribe": _mail(press, f"From: Amy Chan <{d['amy'].address}>\r\nTo: {press}\r\n"
                                        "Subject: Re: Harbourview Science Park Names Its First Marine Robotics Fellows\r\n"
                                        f"In-Reply-To: {d['amy'].message_id}\r\nMessage-ID: <amy-re-1@harbourdaily.example>\r\n",
                                        "Please don't unsubscribe me, can I get the photos?\r\n\r\nAmy"),
        # messages that cannot be read
        "charset-idna": _mail(press, f"From: {d['hal'].address}\r\nTo: {press}\r\nSubject: unsubscribe\r\n",
                              "unsubscribe", charset="idna"),
        "nested-1500": _nested(press, 1500),
    }


def copy_workspace(sent: SentCampaign, target: Path) -> Path:
    shutil.copytree(sent.ws, target, symlinks=True)
    return target
