"""Pages of rows: the size limits every billing list shares (the page arithmetic is `panel.core.paging`)."""

from __future__ import annotations

from panel.core.paging import Page

__all__ = ["MAX_PAGE_SIZE", "PAGE_SIZE", "Page", "clamp"]

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


def clamp(limit: int, offset: int) -> tuple[int, int]:
    """A sane page size and offset."""
    return max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset)
