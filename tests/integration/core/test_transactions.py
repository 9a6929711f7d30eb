"""A failed write leaves nothing behind: not in the database, not in the rules engine."""

from __future__ import annotations

import factories as f
import pytest

from panel.core.accounts import services
from panel.core.accounts.tables import Account, Membership
from panel.core.authz import AuthzRequest


async def test_failed_account_creation_leaves_no_rows_and_no_grants(client, authz, monkeypatch):
    owner = await f.user(authz, "tx@example.com")

    real_add = authz.add_grant
    calls = []

    async def add_then_fail(ptype, *values):
        calls.append(values)
        await real_add(ptype, *values)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(authz, "add_grant", add_then_fail)
    with pytest.raises(RuntimeError):
        await services.create_account(authz, "Half Made", owner)
    monkeypatch.setattr(authz, "add_grant", real_add)
    assert await Account.count() == 0
    assert await Membership.count() == 0
    account_id = calls[0][2].removeprefix("acct:")
    assert not authz.allowed(AuthzRequest(f"user:{owner}", "", f"acct:{account_id}", "account:dashboard", "read"))
    assert authz.grants_for(f"user:{owner}", f"acct:{account_id}") == []
