"""Reading an incoming email: who sent it, the new text only, and its files.

Nothing here touches the database. `parse_mail` turns raw RFC 5322 bytes into a
`ParsedMail`: the sender's address, the Message-ID, the body with quoted text and
signatures cut off (`strip_quoted`), HTML-only mail turned into plain text without
ever rendering it (`html_to_text`), and the attachments as bytes.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

MAX_SUBJECT = 200

# "On Tue, 3 Mar 2026 at 10:00, Ann <ann@example.com> wrote:" and the same in a few
# languages mail clients commonly use ("Am ... schrieb Ann <...>:"); often wrapped over two lines.
_ATTRIBUTION = re.compile(
    r"^\s*(on|am|le|el|il|op|em)\b.{0,400}"
    r"\b(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu)\b.{0,250}:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|forwarded message|ursprüngliche nachricht)\s*-{2,}\s*$", re.I)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|von|de)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(sent|date|gesendet|envoyé|to|subject)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")
_QUOTED = re.compile(r"^\s*>")


@dataclass(frozen=True)
class Attachment:
    """A file carried by the mail, as sent (checked against the upload rules later)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    """What the support desk needs of one incoming email."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: bool = False


def _cut_at(lines: list[str]) -> int:
    """The index of the first line that starts quoted history or a signature (len(lines) if none)."""
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _SIGNATURE.match(line) or _ORIGINAL.match(line):
            return i
        if _ATTRIBUTION.match(line) or (line.strip() and _ATTRIBUTION.match(line.rstrip() + " " + following.strip())):
            return i
        if _OUTLOOK_RULE.match(line) and _OUTLOOK_FROM.match(following):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            # An Outlook reply header ("From: ... / Sent: ... / To: ...") after a blank line.
            if i == 0 or not lines[i - 1].strip():
                return i
    return len(lines)


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history, "> " lines and the signature removed.

    Cuts at the first "On ... wrote:" line (also wrapped over two lines), an
    "-----Original Message-----" or Outlook reply header, or a "-- " signature
    separator, then drops every line that starts with ">". If nothing is left (a
    message that is only a quote) the whole text is kept, so nothing is lost.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line.rstrip() for line in lines[: _cut_at(lines)] if not _QUOTED.match(line)]
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return result or text.strip()


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document; nothing is executed or fetched."""

    BLOCK = frozenset(
        "p div br tr li ul ol table h1 h2 h3 h4 h5 h6 pre hr section article header footer blockquote dl dt dd".split()
    )
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "iframe", "object"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0
        self.pre = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self._newline()
        elif tag in self.BLOCK:
            self._newline()
            if tag == "li":
                self.parts.append("- ")
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._newline()
        elif tag in self.BLOCK:
            self._newline()
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "a" and self.links:
            href = self.links.pop()
            if href.startswith(("http://", "https://", "mailto:")) and href not in "".join(self.parts[-3:]):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = data if self.pre else re.sub(r"\s+", " ", data)
        if not text.strip() and not self.pre:
            if self.parts and not self.parts[-1].endswith((" ", "\n")):
                self.parts.append(" ")
            return
        if self.quote_depth and (not self.parts or self.parts[-1].endswith("\n")):
            self.parts.append("> " * self.quote_depth)
        self.parts.append(text)

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body: tags dropped, scripts and styles ignored, blockquotes as "> " lines.

    Link targets are kept in brackets after the link text. The result is plain text
    and is shown escaped like any other message.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()


def _body_text(message: EmailMessage) -> str:
    """The text of the body: the plain part if there is one, otherwise the HTML part converted."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or wrong charset: keep what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def _attachments(message: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        name = part.get_filename() or f"attachment-{len(found) + 1}"
        found.append(Attachment(filename=name, content_type=part.get_content_type(), data=data))
    return found


def _is_auto_reply(message: EmailMessage) -> bool:
    """An out-of-office or other machine reply (RFC 3834), which must not become a ticket reply."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (auto not in ("", "no")) or precedence in ("auto_reply", "bulk", "junk") or bool(message.get("X-Autoreply"))


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw message bytes (as received over SMTP) into what the desk needs."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    subject = re.sub(r"\s+", " ", str(message.get("Subject", ""))).strip()[:MAX_SUBJECT]
    return ParsedMail(
        message_id=str(message.get("Message-ID", "")).strip()[:250],
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=subject,
        body=strip_quoted(_body_text(message)),
        attachments=_attachments(message),
        auto_reply=_is_auto_reply(message),
    )
