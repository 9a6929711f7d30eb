"""Safe Markdown for text that staff or users write: announcements, articles, descriptions.

`render(text)` turns CommonMark (plus tables and ~~strikethrough~~) into HTML that is
safe to put in a page as it is. Two layers keep it safe:

1. markdown-it-py parses with raw HTML **off**: `<script>` in the text is shown as
   text, never passed through; links whose scheme it distrusts (`javascript:`,
   `vbscript:`, `file:`) are not made into links at all.
2. nh3 (the ammonia sanitizer) then keeps only an allow-list of tags and attributes,
   allows link and image addresses only when relative or `http`/`https` (links also
   `mailto`), and sets `rel="nofollow noopener"` on every link.

Plugins may use it: `from panel.markdown import render`, then `{{ html }}` in a
template (the result is `Markup`, so it is not escaped a second time).
"""

from __future__ import annotations

import html as html_module
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_CHARS = 200_000
"""Longer text is cut before rendering, so one huge article cannot stall a page."""

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip

ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = ("http://", "https://")
LINK_REL = "nofollow noopener"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def _is_relative(url: str) -> bool:
    """An address without a scheme (`/kb/x`, `x.png`, `#top`); `//host` counts as absolute."""
    head = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in head and not url.startswith("//")


def _filter(tag: str, attr: str, value: str) -> str | None:
    """Per-attribute checks the allow-list cannot express; returns the value to keep, or None to drop it."""
    if tag == "img" and attr == "src":
        # images load without a click: only web addresses, never mailto:/data:/javascript:
        lowered = value.strip().lower()
        return value if lowered.startswith(IMAGE_SCHEMES) or _is_relative(lowered) else None
    if tag == "code" and attr == "class":
        # markdown-it marks fenced code with its language; keep that and nothing else
        kept = [c for c in value.split() if c.startswith("language-") and c[9:].replace("-", "").isalnum()]
        return " ".join(kept) or None
    if attr == "style":
        # table column alignment is the only style markdown-it writes
        compact = value.replace(" ", "").rstrip(";").lower()
        return value if compact in {"text-align:left", "text-align:right", "text-align:center"} else None
    return value


def sanitize(html: str) -> str:
    """HTML reduced to the allow-list: the second layer of `render`, public for HTML from elsewhere."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        attribute_filter=_filter,
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str) -> Markup:
    """Markdown `text` as safe HTML, ready to insert into a page.

    Returns an empty `Markup` for empty text; text past `MAX_CHARS` is cut first.
    """
    if not text or not text.strip():
        return Markup("")
    html = _parser().render(text[:MAX_CHARS])
    # sanitize() leaves only allow-listed tags and attributes; this is the one place we mark HTML safe
    return Markup(sanitize(html))  # noqa: S704


def plain(text: str, limit: int = 200) -> str:
    """The words of Markdown `text` without markup, cut to `limit` characters (for summaries and lists)."""
    html = _parser().render(text[: max(limit * 20, 2000)])
    words = " ".join(nh3.clean(html, tags=set()).split())
    words = html_module.unescape(words)
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
