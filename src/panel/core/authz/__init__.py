"""The rules engine (authorization): Casbin model, policy files, grants in the database.

The rest of the panel asks `Authorizer.allowed(AuthzRequest(...))` (through the
Litestar guard in `guard.py`), explains a decision with `Authorizer.explain`, and
changes grants with `add_grant` / `remove_grant` / `remove_grants`. See
docs/authorization.md.
"""

from panel.core.authz.adapter import PiccoloAdapter
from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.core.authz.explain import Decision
from panel.core.authz.lines import PolicyError
from panel.core.authz.role_manager import FlatRoleManager
from panel.core.authz.tables import CasbinRule

__all__ = [
    "Authorizer",
    "AuthzRequest",
    "CasbinRule",
    "Decision",
    "FlatRoleManager",
    "PiccoloAdapter",
    "PolicyError",
]
