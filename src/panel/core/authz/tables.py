"""The one table the rules engine owns: grant rows in Casbin's column layout.

Only grants (`g`, `g2`, `g3` rows) are stored here. Policy (`p`) lines come from
`policies/` and plugins at start-up and are never written to the database, so a
provider's edit to `policy.csv` cannot be shadowed by a stale copy in a table.
"""

from __future__ import annotations

from piccolo.columns import Varchar
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
