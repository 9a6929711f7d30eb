"""What the audit log recorded (import as `from .checks import ...`)."""

from __future__ import annotations

import json
import re
from typing import Any

from panel.core.audit.tables import AuditEvent


async def audited(action: str, account_id: int | None = None) -> list[dict[str, Any]]:
    """The audit events of an action (in an account), oldest first, with `actor` as a user id."""
    where = AuditEvent.action == action
    if account_id is not None:
        where &= AuditEvent.account_id == account_id
    rows = await AuditEvent.select().where(where).order_by(AuditEvent.id)
    for row in rows:
        row["actor"] = row.get("actor_user_id", row.get("actor"))
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


def checkbox(html: str, name: str, field: str = "permissions") -> str:
    """The `<input>` tag of one permission checkbox in a page."""
    match = re.search(r'<input type="checkbox" name="' + field + r'" value="' + re.escape(name) + r'"[^>]*>', html)
    assert match, f"no {field} checkbox {name}"
    return match.group(0)
