"""Pages of rows: the page arithmetic every paged list shares (billing, services, orders, clients)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


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
