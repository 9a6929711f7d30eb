"""The tables the rules engine owns: grant rows in Casbin's column layout, and their change feed.

Only grants (`g`, `g2`, `g3` rows) are stored here. Policy (`p`) lines come from
`policies/` and plugins at start-up and are never written to the database, so a
provider's edit to `policy.csv` cannot be shadowed by a stale copy in a table.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class CasbinRule(Table, tablename="panel_casbin_rule"):
    """One Casbin rule row: `ptype, v0..v5`, unused trailing fields are ''.

    The usual grant `g, user:4, perm:invoices, acct:7` is `ptype='g', v0='user:4',
    v1='perm:invoices', v2='acct:7'`. v0..v2 are indexed because grants are removed
    and listed by principal, role and account.
    """

    ptype = Varchar(length=16, default="")
    v0 = Varchar(length=255, default="", index=True)
    v1 = Varchar(length=255, default="", index=True)
    v2 = Varchar(length=255, default="", index=True)
    v3 = Varchar(length=255, default="")
    v4 = Varchar(length=255, default="")
    v5 = Varchar(length=255, default="")


class GrantChange(Table, tablename="panel_grant_change"):
    """One stored rule that appeared (`added`) or went, written with the rule's own change.

    Other processes (web workers, the CLI) read the rows past the last id they saw
    and apply them to their in-memory grants (`Authorizer.sync`). A filtered removal
    is recorded as the concrete rows it deleted. Rows older than a day are pruned.
    """

    id: Serial  # added by Piccolo; declared for type checkers
    ptype = Varchar(length=16, default="")
    v0 = Varchar(length=255, default="")
    v1 = Varchar(length=255, default="")
    v2 = Varchar(length=255, default="")
    v3 = Varchar(length=255, default="")
    v4 = Varchar(length=255, default="")
    v5 = Varchar(length=255, default="")
    added = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
