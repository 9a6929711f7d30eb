"""The Markdown renderer keeps what writers mean and drops everything that could run in a reader's browser."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from panel.markdown import plain, render


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_ordinary_markdown_becomes_html():
    html = render("# Title\n\nSome **bold**, *em*, `code` and ~~gone~~.\n\n- one\n- two\n\n> quoted")
    assert isinstance(html, Markup)
    for part in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<s>gone</s>"):
        assert part in html
    assert "<li>one</li>" in html and "<blockquote>" in html


def test_tables_and_code_blocks_are_kept():
    html = render("| Plan | Price |\n|:-----|------:|\n| Basic | 5 |\n\n```python\nprint('hi')\n```")
    assert "<table>" in html and "<th" in html and "<td" in html
    assert 'style="text-align:right"' in html
    assert '<code class="language-python">' in html
    assert "print(&#39;hi&#39;)" in html or "print('hi')" in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "before <script>alert(1)</script> after",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<div><p><b>nested <i>html</i></b></p><iframe src=x></iframe></div>",
        '<svg onload="alert(1)"></svg>',
        "<style>body{display:none}</style>",
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(text):
    html = str(render(text))
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html
    assert "<div" not in html and "<style" not in html
    assert "&lt;" in html  # the writer's angle brackets are visible as text


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](  javascript:alert(1) )",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "[x](java&#115;cript:alert(1))",
    ],
)
def test_script_links_are_not_links(text):
    html = str(render(text))
    assert all(not h.lower().lstrip().startswith(("javascript", "vbscript", "data")) for h in hrefs(html)), html
    assert "javascript:" not in "".join(hrefs(html)).lower()


def test_allowed_links_get_nofollow_noopener():
    html = str(render("[site](https://example.com/a?b=1) [mail](mailto:help@example.com) [kb](/knowledgebase/x)"))
    assert hrefs(html) == ["https://example.com/a?b=1", "mailto:help@example.com", "/knowledgebase/x"]
    assert html.count('rel="nofollow noopener"') == 3


def test_autolinks_work_without_linkify():
    html = str(render("See <https://example.com/docs> or write to <help@example.com>. Bare https://example.org stays."))
    assert "https://example.com/docs" in hrefs(html)
    assert "mailto:help@example.com" in hrefs(html)
    assert "https://example.org" not in hrefs(html)  # linkify is off: bare addresses stay text


def test_images_only_from_web_addresses():
    assert 'src="https://example.com/a.png"' in render("![a](https://example.com/a.png)")
    assert 'src="/static/a.png"' in render("![a](/static/a.png)")
    for bad in ("data:image/png;base64,AAAA", "javascript:alert(1)", "mailto:a@b.c"):
        html = str(render(f"![a]({bad})"))
        assert "src=" not in html, html


def test_empty_and_plain_text():
    assert render("") == Markup("")
    assert render("   \n") == Markup("")
    assert plain("# Hello **world**\n\n<b>x</b> [link](http://x)") == "Hello world <b>x</b> link"
    assert plain("word " * 100, limit=20).endswith("…")
    assert len(plain("word " * 100, limit=20)) == 20
