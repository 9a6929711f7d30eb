"""Users and logging in: every rule about credentials lives here, none in routes."""

from __future__ import annotations

from dataclasses import dataclass

from panel.core.accounts.tables import AccountStatus, Membership
from panel.core.auth import passwords
from panel.core.auth.ratelimit import FailureCounter
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.authz.tables import CasbinRule
from panel.errors import PanelError, ValidationFailed

STAFF_ROLES = ("admin", "support", "billing")
SUSPENDED_MESSAGE = "Your account is suspended. Please contact support to have it reactivated."


@dataclass(frozen=True)
class LoginLimits:
    """Failed attempts allowed per 15 minutes."""

    per_address: int
    per_account: int


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def validate_email(email: str) -> str | None:
    """Why an email address cannot be used, or None."""
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        return "Enter an email address like name@example.com."
    return None


async def authenticate(email: str, password: str, address: str, counter: FailureCounter, limits: LoginLimits) -> int:
    """Check a login and return the user's id.

    Raises `ValidationFailed` for a wrong email or password (the same message for
    both, so the answer never reveals whether an email exists) and `TooManyAttempts`
    when the address or the email has failed too often. A user whose every account
    is suspended, and who is not staff, is refused with `SUSPENDED_MESSAGE` (under
    `form`); that is said only after the right password, and is not a failed attempt.
    """
    email = normalise_email(email)
    errors = {}
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 (a message, not a password)
    if errors:
        raise ValidationFailed(errors)
    counter.check(f"addr:{address}", limits.per_address)
    counter.check(f"email:{email}", limits.per_account)
    row = await User.select(User.id, User.password_hash, User.is_active).where(User.email == email).first()
    ok = await passwords.verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["is_active"]:
        counter.fail(f"addr:{address}")
        counter.fail(f"email:{email}")
        raise ValidationFailed({"password": "That email and password do not match an active user."})
    if not await _may_log_in(int(row["id"])):
        raise ValidationFailed({"form": SUSPENDED_MESSAGE})
    counter.reset(f"email:{email}")
    if passwords.needs_rehash(row["password_hash"]):
        await User.update({User.password_hash: await passwords.hash_password(password)}).where(User.id == row["id"])
    return int(row["id"])


async def _may_log_in(user_id: int) -> bool:
    """Whether the user has an account that is not suspended, no account at all, or is staff."""
    statuses = await Membership.select(Membership.account.status).where(Membership.user == user_id)
    if not statuses or any(r["account.status"] != AccountStatus.SUSPENDED for r in statuses):
        return True
    return bool(await CasbinRule.exists().where((CasbinRule.ptype == "g2") & (CasbinRule.v0 == f"user:{user_id}")))


async def create_user(email: str, password: str, name: str = "") -> int:
    """Create a user; the email must be new and the password strong enough."""
    email = normalise_email(email)
    errors = {}
    if problem := validate_email(email):
        errors["email"] = problem
    if problem := passwords.check_strength(password):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    if await User.exists().where(User.email == email):
        raise ValidationFailed({"email": "A user with this email already exists."})
    row = await User.insert(
        User(email=email, name=name or email.split("@")[0], password_hash=await passwords.hash_password(password))
    ).returning(User.id)
    return int(row[0]["id"])


async def set_password(user_id: int, password: str) -> None:
    """Replace a user's password (strength checked)."""
    if problem := passwords.check_strength(password):
        raise ValidationFailed({"password": problem})
    await User.update({User.password_hash: await passwords.hash_password(password)}).where(User.id == user_id)


async def user_id_by_email(email: str) -> int | None:
    """The id of the user with this email, if any."""
    row = await User.select(User.id).where(User.email == normalise_email(email)).first()
    return int(row["id"]) if row else None


def staff_roles(authz: Authorizer, user_id: int) -> list[str]:
    """The platform staff roles of a user (admin, support, billing)."""
    return sorted(g[2].removeprefix("staff:") for g in authz.grants_for(f"user:{user_id}") if g[0] == "g2")


async def grant_staff_role(authz: Authorizer, user_id: int, role: str) -> None:
    """Make a user platform staff with one of the staff roles."""
    if role not in STAFF_ROLES:
        raise PanelError(f"Unknown staff role {role!r}; choose one of {', '.join(STAFF_ROLES)}.", field="role")
    await authz.add_grant("g2", f"user:{user_id}", f"staff:{role}")
