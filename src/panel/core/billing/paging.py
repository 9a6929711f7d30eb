"""Pages of rows: the size limits and the page arithmetic every billing list shares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and how many match in all."""

    rows: list[T]
    total: int
    limit: int
    offset: int

    @property
    def page(self) -> int:
        """This page's number, from 1."""
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least 1)."""
        return max(1, math.ceil(self.total / self.limit))


def clamp(limit: int, offset: int) -> tuple[int, int]:
    """A sane page size and offset."""
    return max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset)
