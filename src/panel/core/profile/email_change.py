"""Changing one's own login email, confirmed by a link sent to the new address.

The current password is checked before the address is compared with other
users', so a stolen session cannot probe which addresses exist. Nothing changes
until the link is followed; following it ends the user's other sessions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from panel.core import db
from panel.core.audit import services as audit
from panel.core.audit.services import AuditContext
from panel.core.auth import links
from panel.core.auth.services import normalise_email, validate_email
from panel.core.auth.sessions import CurrentSession
from panel.core.auth.tables import User
from panel.core.contacts.sync import services as contact_sync
from panel.core.mail import services as mail
from panel.core.profile import sessions
from panel.core.profile.services import EMAIL_CHANGE, PASSWORD_RESET, Attempts, checked_password
from panel.errors import PanelError, ValidationFailed

EMAIL_CHANGE_TTL = timedelta(hours=24)
EMAIL_TAKEN = "A user with this email already exists."


class EmailTaken(PanelError):
    """The confirmed address was taken by another user after the link was sent."""

    status_code = 409


@dataclass(frozen=True)
class EmailChange:
    """A pending change of address, as its confirmation page shows it."""

    user_id: int
    old_email: str
    new_email: str


async def request_email_change(
    user_id: int, new_email: str, password: str, attempts: Attempts, by: AuditContext, base_url: str
) -> str:
    """Send a confirmation link to the new address and a notice to the current one.

    The address changes only when the link (valid 24 hours) is followed; a newer
    request replaces an older one. Returns the new address, normalised.

    Raises:
        ValidationFailed: `email` is not an address, is already the user's, or
            belongs to another user (checked once the password is right);
            `password` is wrong.
        TooManyAttempts: too many wrong passwords for this email or address.
    """
    new = normalise_email(new_email)
    errors: dict[str, str] = {}
    if not new:
        errors["email"] = "Enter the new email address."
    elif problem := validate_email(new):
        errors["email"] = problem
    row = await checked_password(user_id, password, attempts, "password", errors)
    if row is not None and not errors:
        if new == row["email"]:
            errors["email"] = "This is already your email address."
        elif await User.exists().where((User.email == new) & (User.id != user_id)):
            errors["email"] = EMAIL_TAKEN
    if errors or row is None:
        raise ValidationFailed(errors)
    old = row["email"]
    async with db.write_transaction():
        await links.cancel_all(EMAIL_CHANGE, user_id=user_id)
        _, secret = await links.issue(EMAIL_CHANGE, EMAIL_CHANGE_TTL, user_id=user_id, email=new)
        context = {"name": row["name"], "old_email": old, "new_email": new, "ip": by["ip"]}
        link = f"{base_url.rstrip('/')}/me/email/confirm/{secret}"
        await mail.send("email_change", new, {**context, "link": link})
        await mail.send("email_change_notice", old, context)
        await audit.record(
            "user.email_change_request",
            account_id=None,
            target=f"user:{user_id}",
            summary=f"{old} asked to change their email to {new}.",
            details={"email": {"before": old, "after": new}},
            **by,
        )
    return new


async def preview_email_change(secret: str) -> EmailChange:
    """What following an email-change link would do; `LinkInvalid` (410) if it cannot."""
    link = await links.peek(EMAIL_CHANGE, secret)
    row = await User.select(User.id, User.email, User.is_active).where(User.id == link.user_id).first()
    if row is None or not row["is_active"]:
        raise links.LinkInvalid("This link is not valid. Ask for a new one.")
    return EmailChange(row["id"], row["email"], link.email)


def _taken(new: str, old: str) -> EmailTaken:
    return EmailTaken(
        f"Another user took {new} after the link was sent, so your email stays {old}. "
        "Change it again to another address.",
        field="email",
    )


async def confirm_email_change(
    secret: str, by: AuditContext, current: CurrentSession | None = None
) -> tuple[EmailChange, str | None]:
    """Follow an email-change link: the user's login email becomes the new address.

    The user's other sessions end; when `current` is a session of that same user it
    stays logged in with a new token, returned second (else None, and every session
    of the user ends). Open password-reset links (sent to the old address) stop
    working.

    Raises:
        LinkInvalid: unknown, expired, used or replaced link (410).
        EmailTaken: another user has the new address by now (409); the link stays
            unused.
    """
    change = await preview_email_change(secret)
    user_id, new, old = change.user_id, change.new_email, change.old_email
    if await User.exists().where((User.email == new) & (User.id != user_id)):
        raise _taken(new, old)
    keep = current.id if current is not None and current.user_id == user_id else None
    # The person following the link acts for the user who asked; a staff member
    # acting as that user stays on record as the impersonator.
    actor: AuditContext = {
        "actor": user_id,
        "impersonator": by["impersonator"] if by["actor"] == user_id else None,
        "ip": by["ip"],
    }
    try:
        async with db.write_transaction():
            await links.consume(EMAIL_CHANGE, secret)
            if await User.exists().where((User.email == new) & (User.id != user_id)):
                raise _taken(new, old)
            await User.update({User.email: new}).where(User.id == user_id)
            await links.cancel_all(PASSWORD_RESET, user_id=user_id)
            ended = await sessions.end_others(user_id, keep)
            token = await sessions.rotate(keep) if keep is not None else None
            await audit.record(
                "user.email_change",
                account_id=None,
                target=f"user:{user_id}",
                summary=f"{old} changed their email to {new}.",
                details={"email": {"before": old, "after": new}, "sessions_ended": ended},
                **actor,
            )
    except PanelError:
        raise
    except Exception as exc:  # the unique index, if two users confirm the same address at once
        if _is_unique_violation(exc):
            raise _taken(new, old) from None
        raise
    await contact_sync.user_changed(user_id)  # contacts the sync made for this user follow the new address
    return change, token


def _is_unique_violation(exc: BaseException) -> bool:
    # sqlite3.IntegrityError on SQLite, asyncpg's UniqueViolationError on PostgreSQL
    if isinstance(exc, sqlite3.IntegrityError):
        return "unique" in str(exc).lower()
    return type(exc).__name__ == "UniqueViolationError"
