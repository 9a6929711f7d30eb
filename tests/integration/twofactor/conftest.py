"""Fixtures of the two-factor tests: an app whose email reaches the in-process SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from support import mailing_to

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp` (the deliverer wakes when a message is queued)."""
    return mailing_to(settings, smtp, "http://testserver.local")
