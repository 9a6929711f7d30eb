"""Password reset by an emailed single-use link.

Asking for a link answers the same way, after the same work in the same order,
whether or not the address belongs to a user: one user lookup and one
cancellation of older links always happen; only for an active user is a link
issued and the email queued (a few milliseconds of database inserts). Requests
are counted per client address and per email, whatever the outcome.

Setting the new password logs nobody in: every session of the user ends, and the
user logs in with the new password (which proves the reset worked and that they
know it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from panel.core import db
from panel.core.audit import services as audit
from panel.core.audit.services import AuditContext
from panel.core.auth import links, passwords
from panel.core.auth.ratelimit import FailureCounter
from panel.core.auth.services import normalise_email, validate_email
from panel.core.auth.tables import User
from panel.core.mail import services as mail
from panel.core.profile import sessions
from panel.core.profile.services import EMAIL_CHANGE, PASSWORD_RESET, minutes
from panel.errors import TooManyAttempts, ValidationFailed

RESET_TTL = timedelta(hours=1)
SENT = "If that email belongs to a user, we sent a link to it. The link works once, within an hour."


@dataclass(frozen=True)
class ResetLimits:
    """Reset requests allowed per 15 minutes."""

    per_address: int
    per_email: int


def _count_request(counter: FailureCounter, limits: ResetLimits, address: str, email: str) -> None:
    try:
        counter.check(f"reset:addr:{address}", limits.per_address)
        counter.check(f"reset:email:{email}", limits.per_email)
    except TooManyAttempts as exc:
        raise TooManyAttempts(
            f"Too many password reset requests. Try again in {minutes(exc.retry_after)}.",
            retry_after=exc.retry_after,
        ) from None
    counter.fail(f"reset:addr:{address}")
    counter.fail(f"reset:email:{email}")


async def request_reset(
    email: str, *, address: str, counter: FailureCounter, limits: ResetLimits, base_url: str
) -> None:
    """Email a reset link to `email` if it belongs to an active user; say nothing either way.

    A new request cancels the older links of that address. The link
    (`/password/reset/<secret>`) works once, for an hour.

    Raises:
        ValidationFailed: `email` is empty or not an address (nothing was looked up).
        TooManyAttempts: too many requests from this address or for this email.
    """
    email = normalise_email(email)
    if not email:
        raise ValidationFailed({"email": "Enter your email address."})
    if problem := validate_email(email):
        raise ValidationFailed({"email": problem})
    _count_request(counter, limits, address, email)
    async with db.write_transaction():
        row = await User.select(User.id, User.name, User.is_active).where(User.email == email).first()
        await links.cancel_all(PASSWORD_RESET, email=email)
        if row is None or not row["is_active"]:
            return
        _, secret = await links.issue(PASSWORD_RESET, RESET_TTL, user_id=row["id"], email=email)
        link = f"{base_url.rstrip('/')}/password/reset/{secret}"
        await mail.send("password_reset", email, {"name": row["name"], "email": email, "link": link, "ip": address})
        await audit.record(
            "user.password_reset_request",
            actor=None,
            account_id=None,
            target=f"user:{row['id']}",
            summary=f"A password reset link was sent to {email}.",
            ip=address,
        )


async def check_link(secret: str) -> links.Link:
    """The reset link behind `secret` if it can still be used; else `LinkInvalid` (410)."""
    return await links.peek(PASSWORD_RESET, secret)


async def reset_password(
    secret: str, new: str, by: AuditContext, counter: FailureCounter, *, confirm: str | None = None
) -> int:
    """Set a new password through a reset link; returns the user's id.

    Every session of the user ends, open reset and email-change links stop working,
    failed logins counted for the email are forgotten, and a notice goes to the
    user. A weak password raises `ValidationFailed` and leaves the link usable.

    Raises:
        LinkInvalid: unknown, expired, used or replaced link (410).
        ValidationFailed: `password` too weak, `confirm_password` differs.
    """
    link = await check_link(secret)
    if problem := passwords.check_strength(new):
        raise ValidationFailed({"password": problem})
    if confirm is not None and confirm != new:
        raise ValidationFailed({"confirm_password": "The two passwords differ."})
    new_hash = await passwords.hash_password(new)  # slow: before the write lock
    async with db.write_transaction():
        await links.consume(PASSWORD_RESET, secret)
        row = await User.select(User.id, User.email, User.name, User.is_active).where(User.id == link.user_id).first()
        if row is None or not row["is_active"] or row["email"] != link.email:
            raise links.LinkInvalid("This link is not valid. Ask for a new one.")
        user_id = int(row["id"])
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        ended = await sessions.end_others(user_id, None)
        await links.cancel_all(PASSWORD_RESET, user_id=user_id)
        await links.cancel_all(EMAIL_CHANGE, user_id=user_id)
        await audit.record(
            "user.password_reset",
            actor=user_id,
            impersonator=None,
            account_id=None,
            target=f"user:{user_id}",
            summary=f"{row['email']} set a new password through a reset link.",
            details={"sessions_ended": ended},
            ip=by["ip"],
        )
        await mail.send(
            "password_changed",
            row["email"],
            {"name": row["name"], "email": row["email"], "ip": by["ip"], "how": "reset"},
        )
    counter.reset(f"email:{row['email']}")
    return user_id
