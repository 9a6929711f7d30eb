"""Fixtures of the self-service tests: an app whose email reaches the in-process SMTP server.

The deliverer's regular look at the outbox is a minute away, so an email that
arrives within a test was sent because queuing it woke the deliverer.
"""

from __future__ import annotations

from typing import Any

import pytest
from profile_support import BASE_URL
from support import mailing_to

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp` and build links on `BASE_URL`."""
    return mailing_to(settings, smtp, BASE_URL)
