"""Per-ticket reply addresses: `support+t<id>-<code>@<reply_domain>`.

Every ticket notification carries one as its Reply-To, so a reply by email finds its
ticket. `code` is an HMAC of the ticket id with the panel's secret key: an address
cannot be made up for another ticket, and one seen in a message does not lead anywhere
else.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from panel.settings import Settings, require_secret_key

CODE_LENGTH = 16
_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9._%+-])support\+t(\d{1,18})-([0-9a-f]{" + str(CODE_LENGTH) + r"})@", re.IGNORECASE
)


def _settings() -> Settings:
    from panel.core import runtime

    return runtime.current().settings


def _code(ticket_id: int, settings: Settings) -> str:
    key = require_secret_key(settings).encode()
    return hmac.new(key, f"support-ticket:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:CODE_LENGTH]


def reply_address(ticket_id: int) -> str:
    """The address that files an emailed reply under ticket `ticket_id`."""
    from panel.core.support.config import config_of

    settings = _settings()
    return f"support+t{ticket_id}-{_code(ticket_id, settings)}@{config_of(settings).reply_domain}"


def ticket_from_address(address: str) -> int | None:
    """The ticket id a reply address stands for, or None if it is not one or its code is wrong.

    Takes a bare address or one with a display name (`Desk <support+t1-...@x>`); the
    domain is not checked, so a changed `reply_domain` keeps old addresses working.
    """
    found = _ADDRESS.search(address or "")
    if found is None:
        return None
    ticket_id = int(found.group(1))
    if not hmac.compare_digest(found.group(2).lower(), _code(ticket_id, _settings())):
        return None
    return ticket_id
