"""Self-service: a user's own name, language and password, and ending sessions.

Every rule about what users may change on themselves lives here (the email
address in `email_change.py`, the password reset in `reset.py`); the routes only
parse and render. These are facts about the person, not about an account, so the
audit events have no account (`account_id=None`) and the target `user:<id>`.

Checking the current password counts toward the login rate limit of the email:
guessing through these forms and through the login form share one budget, so a
stolen session cookie does not buy more guesses than the login page gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.audit import services as audit
from panel.core.audit.services import AuditContext
from panel.core.auth import links, passwords
from panel.core.auth.ratelimit import FailureCounter
from panel.core.auth.services import LoginLimits
from panel.core.auth.tables import ActionToken, User
from panel.core.contacts.sync import services as contact_sync
from panel.core.mail import services as mail
from panel.core.profile import sessions
from panel.errors import NotFound, TooManyAttempts, ValidationFailed

LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "nl": "Nederlands",
    "pl": "Polski",
}
"""Languages a user may choose, by code (the order the form shows them in)."""

EMAIL_CHANGE = "email_change"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a link purpose)
NAME_MAX = 200


@dataclass(frozen=True)
class Profile:
    """What a user may see and change about themself."""

    id: int
    email: str
    name: str
    language: str
    pending_email: str
    """An address waiting for its confirmation link to be followed ('' if none)."""


@dataclass(frozen=True)
class Attempts:
    """Where failed password checks are counted: the login counter and its limits."""

    counter: FailureCounter
    limits: LoginLimits
    address: str


def minutes(seconds: int) -> str:
    """'1 minute', '12 minutes' (rounded up)."""
    count = max(1, -(-seconds // 60))
    return f"{count} minute{'s' if count > 1 else ''}"


def _now() -> datetime:
    return datetime.now(UTC)


# -- profile --------------------------------------------------------------------------


async def _pending_email(user_id: int) -> str:
    row = (
        await ActionToken.select(ActionToken.email)
        .where(
            (ActionToken.purpose == EMAIL_CHANGE)
            & (ActionToken.user_id == user_id)
            & ActionToken.used_at.is_null()
            & (ActionToken.expires_at > _now())
        )
        .order_by(ActionToken.id, ascending=False)
        .first()
    )
    return str(row["email"]) if row else ""


async def _user_row(user_id: int, *columns: Any) -> dict[str, Any]:
    row = await User.select(User.id, User.email, *columns).where(User.id == user_id).first()
    if row is None:
        raise NotFound("No such user.")
    return row


async def get_profile(user_id: int) -> Profile:
    """The user's own details, with the address waiting for confirmation (two queries)."""
    row = await _user_row(user_id, User.name, User.language)
    return Profile(row["id"], row["email"], row["name"], row["language"], await _pending_email(user_id))


def _check_name(name: str) -> str | None:
    if not name:
        return "Enter your name."
    if len(name) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "The name cannot contain line breaks or control characters."
    return None


async def update_profile(
    user_id: int, by: AuditContext, *, name: str | None = None, language: str | None = None
) -> Profile:
    """Change the user's name and/or language (None leaves a field as it is).

    Raises `ValidationFailed` naming each bad field; nothing is changed then. An
    unchanged value is not audited.
    """
    errors: dict[str, str] = {}
    if name is not None:
        name = name.strip()
        if problem := _check_name(name):
            errors["name"] = problem
    if language is not None:
        language = language.strip().lower()
        if language not in LANGUAGES:
            errors["language"] = f"Choose one of: {', '.join(LANGUAGES.values())}."
    if errors:
        raise ValidationFailed(errors)
    row = await _user_row(user_id, User.name, User.language)
    changes: dict[str, dict[str, str]] = {}
    if name is not None and name != row["name"]:
        changes["name"] = {"before": row["name"], "after": name}
    if language is not None and language != row["language"]:
        changes["language"] = {"before": row["language"], "after": language}
    if changes:
        values: dict[Any, Any] = {getattr(User, field): change["after"] for field, change in changes.items()}
        async with db.write_transaction():
            await User.update(values).where(User.id == user_id)
            await audit.record(
                "user.profile_update",
                account_id=None,
                target=f"user:{user_id}",
                summary=f"{row['email']} changed their {' and '.join(changes)}.",
                details=changes,
                **by,
            )
        if "name" in changes:
            await contact_sync.user_changed(user_id)  # contacts the sync made for this user follow the new name
    return await get_profile(user_id)


# -- the current password ------------------------------------------------------------


def _check_limits(attempts: Attempts, email: str) -> None:
    try:
        attempts.counter.check(f"addr:{attempts.address}", attempts.limits.per_address)
        attempts.counter.check(f"email:{email}", attempts.limits.per_account)
    except TooManyAttempts as exc:
        raise TooManyAttempts(
            f"Too many wrong passwords. Try again in {minutes(exc.retry_after)}.", retry_after=exc.retry_after
        ) from None


async def check_current_password(user_id: int, password: str, attempts: Attempts, field: str) -> dict[str, Any]:
    """The user's row if `password` is theirs; else `ValidationFailed` on `field`.

    A wrong password counts as a failed login for the email and the client address;
    past the login limits this raises `TooManyAttempts`, even for the right password.
    """
    row = await _user_row(user_id, User.name, User.password_hash)
    if not password:
        raise ValidationFailed({field: "Enter your current password."})
    _check_limits(attempts, row["email"])
    if not await passwords.verify_password(row["password_hash"], password):
        attempts.counter.fail(f"addr:{attempts.address}")
        attempts.counter.fail(f"email:{row['email']}")
        raise ValidationFailed({field: "That is not your current password."})
    attempts.counter.reset(f"email:{row['email']}")
    return row


async def checked_password(
    user_id: int, password: str, attempts: Attempts, field: str, errors: dict[str, str]
) -> dict[str, Any] | None:
    """`check_current_password`, adding its field error to `errors` (and returning None) instead of raising."""
    try:
        return await check_current_password(user_id, password, attempts, field)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None


# -- password change ------------------------------------------------------------------


async def change_password(
    user_id: int,
    current: str,
    new: str,
    attempts: Attempts,
    by: AuditContext,
    *,
    confirm: str | None = None,
    session_id: int | None = None,
) -> str | None:
    """Replace the user's password, knowing the current one.

    Every other session of the user ends (the staff member's too, if one is acting
    as the user), open reset and email-change links stop working, and a notice goes
    to the user's address. The session `session_id` stays logged in with a new
    token, which is returned (None without a session: an API token).

    Raises:
        ValidationFailed: wrong current password (`current_password`), weak or
            unchanged new password (`new_password`), confirmation differs
            (`confirm_password`).
        TooManyAttempts: too many wrong passwords for this email or address.
    """
    errors: dict[str, str] = {}
    if problem := passwords.check_strength(new):
        errors["new_password"] = problem
    elif confirm is not None and confirm != new:
        errors["confirm_password"] = "The two new passwords differ."  # noqa: S105 (a message)
    row = await checked_password(user_id, current, attempts, "current_password", errors)
    if row is not None and not errors and current == new:
        errors["new_password"] = "Choose a password different from your current one."  # noqa: S105
    if errors or row is None:
        raise ValidationFailed(errors)
    new_hash = await passwords.hash_password(new)  # slow: before the write lock
    async with db.write_transaction():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        ended = await sessions.end_others(user_id, session_id)
        token = await sessions.rotate(session_id) if session_id is not None else None
        await links.cancel_all(PASSWORD_RESET, user_id=user_id)
        await links.cancel_all(EMAIL_CHANGE, user_id=user_id)
        await audit.record(
            "user.password_change",
            account_id=None,
            target=f"user:{user_id}",
            summary=f"{row['email']} changed their password.",
            details={"sessions_ended": ended},
            **by,
        )
        await mail.send(
            "password_changed",
            row["email"],
            {"name": row["name"], "email": row["email"], "ip": by["ip"], "how": "change"},
        )
    return token


# -- sessions -------------------------------------------------------------------------


async def end_session(user_id: int, session_id: int, by: AuditContext) -> None:
    """End one of the user's own sessions (it is logged out at its next request).

    Raises `NotFound` for a session that is not the user's own (another user's, a
    staff member's impersonation session, or one that ended already).
    """
    async with db.write_transaction():
        ended = await sessions.end_one(user_id, session_id)
        if ended is None:
            raise NotFound("No such session.")
        await audit.record(
            "user.session_end",
            account_id=None,
            target=f"user:{user_id}",
            summary="Ended a session" + (f" from {ended.ip}" if ended.ip else "") + ".",
            details={"session": {"ip": ended.ip, "browser": ended.browser}},
            **by,
        )


async def end_other_sessions(user_id: int, keep: int | None, by: AuditContext) -> int:
    """End every session of the user except `keep`; returns how many ended."""
    async with db.write_transaction():
        ended = await sessions.end_others(user_id, keep)
        if ended:
            await audit.record(
                "user.sessions_end",
                account_id=None,
                target=f"user:{user_id}",
                summary=f"Ended {ended} other session{'s' if ended > 1 else ''}.",
                details={"sessions_ended": ended},
                **by,
            )
    return ended
