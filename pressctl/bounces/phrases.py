"""What people write back, in English and Chinese: out-of-office, "has left, please contact ...", and
unsubscribe requests. Pure regular expressions over a message's own text (never the quoted message).

An unsubscribe request counts only when the *whole* subject or the whole first line says so
("Unsubscribe", "Please remove me from your list", "取消訂閱", optionally followed by a token or an
address): "Please don't unsubscribe me, can I get the photos?" is a reply, not a request. Even then a
request changes nothing without the reader's token (see :mod:`pressctl.bounces.match`).
"""

from __future__ import annotations

import re
from email.message import Message

from pressctl.addresses import address_key
from pressctl.bounces.text import header

__all__ = ["asks_unsubscribe", "is_automatic", "is_moved", "new_addresses"]

_OOO_SUBJECT = re.compile(
    r"out\s+of\s+(the\s+)?office|automatic\s+reply|auto(matic)?[\s-]?(reply|response|respon[sd]er)"
    r"|\bautoreply\b|away\s+from\s+(my|the)\s+(desk|office|e-?mail)|\bon\s+(annual\s+)?leave\b"
    r"|\bvacation\b|\bholiday\s+notice\b|abwesenheit|\babsence\b"
    r"|自動回覆|自动回复|自動回復|自動答覆|自动答复|不在辦公室|不在办公室|休假|外出|放假|年假",
    re.IGNORECASE,
)


def is_automatic(msg: Message) -> bool:
    """An automatic reply: RFC 3834 ``Auto-Submitted``, the X-Autoreply family, bulk Precedence, OOO subjects."""
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return True
    if any(msg.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From")):
        return True
    if header(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_OOO_SUBJECT.search(header(msg, "Subject")))


_LEFT = re.compile(
    r"\b(has|have)\s+(now\s+)?left\s+(?!(for|on|to|at|in|early|today|tonight|tomorrow|work|my|our|a|an)\b"
    r"|(the\s+)?office\b)|\bno\s+longer\s+(with|at|work|employed|part\s+of|"
    r"writ|report|cover|on\s+staff|be\s+(working|reachable|monitor))|\bhas\s+moved\s+on\b|\bhave\s+moved\s+on\b"
    r"|\bleft\s+(the|our)\s+(paper|newspaper|company|magazine|newsroom|station|organi[sz]ation|firm)\b"
    r"|\bthis\s+(e-?mail\s+)?(address|mailbox|account)\s+(is\s+)?(no\s+longer|not\s+)(in\s+use|monitored|active)"
    r"|已離職|已离职|已經離職|已经离职|已離開|已离开|不再任職|不再任职|不再於本|不再在本|此郵箱已停用|此邮箱已停用",
    re.IGNORECASE,
)


def is_moved(subject: str, text: str) -> bool:
    """Does the subject or the text say the person has left ("has left Asia Business Times", 已離職)?"""
    return bool(_LEFT.search(text) or _LEFT.search(subject))


_CONTACT = re.compile(
    r"(contact|write\s+to|e-?mail|reach|send\s+(it|them|releases?|press\s+releases?)\s+to|"
    r"forward|address\s+is|請聯絡|請聯繫|请联系|请联络|聯絡|联系|聯繫|請電郵|请电邮|請改寄|请改寄|請寄|请寄|改為|改为)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_WINDOW = 200  # characters after a "please contact" phrase where the new addresses are


def new_addresses(text: str, *, exclude: set[str]) -> tuple[str, ...]:
    """Every address a moved notice asks us to use instead, in order: those after a "contact / write to /
    請聯絡" phrase ("please contact Jane Ho (jane.ho@...) or the news desk (desk@...)" gives both), other
    than ``exclude`` (the sender and where it was sent)."""
    skip = {address_key(a) for a in exclude if a}
    found: dict[str, str] = {}
    for phrase in _CONTACT.finditer(text):
        window = text[phrase.end() : phrase.end() + _WINDOW]
        for m in _EMAIL.finditer(window):
            addr = m.group(0).rstrip(".")
            if address_key(addr) not in skip:
                found.setdefault(address_key(addr), addr)
    return tuple(found.values())


_TAIL = r"(?:\s+(?:[A-Za-z0-9_-]{22}|\S+@\S+))?"  # a token or an address may follow
_UNSUB_EN = re.compile(
    r"^(?:(?:re|fwd?|aw)\s*:\s*)*(?:please\s+)?"
    r"(?:unsubscribe|unsubscribe\s+me|remove(?:\s+me)?|take\s+me\s+off|opt[\s-]?out|stop(?:\s+(?:sending|emails?))?)"
    r"(?:\s+(?:from|off)\s+(?:the\s+|this\s+|your\s+|all\s+)?(?:(?:press|media|mailing|distribution|e-?mail|news)\s+)?"
    r"(?:list|lists|mailings?|emails?|releases?))?"
    r"(?:\s*[,.]?\s*(?:please|thanks|thank\s+you))?" + _TAIL + r"[\s.!,;]*$",
    re.IGNORECASE,
)
_UNSUB_ZH = re.compile(
    r"^(?:回覆|回复|答覆|re)?\s*[:：]?\s*(?:請|请)?(?:將我|把我|将我)?"
    r"(?:取消訂閱|取消订阅|取消訂閲|退訂|退订|(?:從|从).{0,20}(?:名單|名单|列表)(?:中)?(?:移除|刪除|删除))"
    r"(?:.{0,6}(?:謝謝|谢谢|唔該))?" + _TAIL + r"[\s。！!，,.]*$",
    re.IGNORECASE,
)


def _is_request(line: str) -> bool:
    line = " ".join(line.split())
    return bool(line) and bool(_UNSUB_EN.match(line) or _UNSUB_ZH.match(line))


def asks_unsubscribe(subject: str, first_line: str) -> bool:
    """The whole subject, or the whole first line of the message's own text, asks to be taken off the list."""
    return _is_request(subject) or _is_request(first_line)
