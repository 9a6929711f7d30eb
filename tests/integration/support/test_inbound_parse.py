"""Reading incoming mail: the new text only, HTML made safe text, files and auto-replies (no database)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from panel.core.support.inbound_parse import html_to_text, parse_mail, strip_quoted
from panel.core.support.inbound_server import parse_listen


def test_quoted_history_and_signatures_are_cut():
    gmail = "Works now.\n\nOn Mon, 23 Nov 2026 at 10:00, Support <support+t1-abc@x.test>\nwrote:\n> old\n> older\n"
    assert strip_quoted(gmail) == "Works now."
    outlook = "Thanks!\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold"
    assert strip_quoted(outlook) == "Thanks!"
    outlook_header = "Noted.\n\nFrom: Support <a@b.test>\nSent: Monday, 23 November 2026 10:00\nTo: Ann\n\nold"
    assert strip_quoted(outlook_header) == "Noted."
    signature = "See the log.\n\nCheers,\nAnn\n-- \nAnn Example | Acme\n+1 555 0100"
    assert strip_quoted(signature) == "See the log.\n\nCheers,\nAnn"
    interleaved = "> Did it work?\nYes.\n> And mail?\nAlso yes.\n"
    assert strip_quoted(interleaved) == "Yes.\nAlso yes."
    german = "Danke.\n\nAm 23.11.2026 um 10:00 schrieb Support <a@b.test>:\n> alt"
    assert strip_quoted(german) == "Danke."
    only_quote = "> just a quote\n"
    assert strip_quoted(only_quote) == "> just a quote"  # nothing new: keep it all rather than lose it


def test_html_becomes_plain_text_without_running_anything():
    text = html_to_text(
        "<html><head><title>t</title><style>b{}</style></head><body onload='x()'>"
        "<p>Hello &lt;team&gt;,</p><script>steal()</script><ul><li>one</li><li>two</li></ul>"
        "<p>See <a href='https://status.example/x'>status</a>.</p>"
        "<blockquote>quoted <b>reply</b></blockquote></body></html>"
    )
    assert text == "Hello <team>,\n- one\n- two\nSee status (https://status.example/x).\n> quoted reply"
    assert strip_quoted(text) == "Hello <team>,\n- one\n- two\nSee status (https://status.example/x)."


def test_parse_mail_reads_sender_files_and_auto_replies():
    message = EmailMessage()
    message["From"] = '"Ann Example" <Ann@Example.com>'
    message["Subject"] = "Re:   Site \t down"
    message["Message-ID"] = "<m1@x>"
    message.set_content("New text\n\nOn Mon, X wrote:\n> old")
    message.add_alternative("<p>New <b>html</b></p>", subtype="html")
    message.add_attachment(b"log line\n", maintype="text", subtype="plain", filename="app.log")
    parsed = parse_mail(message.as_bytes())
    assert (parsed.sender, parsed.sender_name, parsed.subject) == ("ann@example.com", "Ann Example", "Re: Site down")
    assert parsed.body == "New text" and parsed.message_id == "<m1@x>" and not parsed.auto_reply
    assert [(a.filename, a.data) for a in parsed.attachments] == [("app.log", b"log line\n")]
    message["Auto-Submitted"] = "auto-replied"
    assert parse_mail(message.as_bytes()).auto_reply


def test_listen_addresses():
    assert parse_listen("127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_listen("[::1]:24") == ("::1", 24)
    for bad in ("nowhere", ":25", "host:99999", "host:x"):
        with pytest.raises(ValueError, match="is not host:port"):
            parse_listen(bad)
