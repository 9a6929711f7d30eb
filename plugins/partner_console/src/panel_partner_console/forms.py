"""Reading the console's plain HTML forms."""

from __future__ import annotations

from typing import Any


def text(form: Any, name: str) -> str:
    """A form field as trimmed text ('' when missing or a file)."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
