"""Two-factor rules: TOTP (RFC 6238), recovery codes, enrolment and the account requirement.

TOTP here is SHA-1, 30-second steps, 6 digits, accepting the step before and after
the current one. A code is accepted once: the step of the last accepted code is
stored and no code of that step or an earlier one passes again. The secret is
sealed with a key derived from the panel's secret key (`seal`/`unseal`): core has
no sealing helper, so this feature has its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from panel.core.accounts.tables import Account, Membership
from panel.core.auth import passwords
from panel.core.auth.tables import User
from panel.core.twofactor.tables import TwoFactorAccountRule, TwoFactorEnrolment, TwoFactorRecoveryCode
from panel.errors import ValidationFailed

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
ISSUER = "Hostpanel"
WRONG_CODE = "That code is not right, or it was used already."


# -- TOTP -----------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh TOTP secret: 20 random bytes, base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of `secret` for the 30-second `step` (RFC 4226 truncation)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def current_step(now: float | None = None) -> int:
    """The 30-second step of `now` (default: the current time)."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The step (current one ±1) whose code is `code`, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def otpauth_uri(secret: str, email: str) -> str:
    """The `otpauth://` URI an authenticator app reads (as text or as a QR code)."""
    label = quote(f"{ISSUER}:{email}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(ISSUER)}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"


# -- sealing the secret -------------------------------------------------------------------


def _subkey(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), b"panel.twofactor." + purpose, hashlib.sha256).digest()


def seal(secret: str, secret_key: str) -> str:
    """`secret` encrypted (HMAC-SHA256 keystream) and authenticated (HMAC-SHA256), base64."""
    plain = secret.encode()
    nonce = secrets.token_bytes(16)
    stream = hmac.new(_subkey(secret_key, b"enc"), nonce, hashlib.sha256).digest()
    if len(plain) > len(stream):
        raise ValueError("secret too long to seal")
    body = nonce + bytes(a ^ b for a, b in zip(plain, stream, strict=False))
    tag = hmac.new(_subkey(secret_key, b"mac"), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body + tag).decode()


def unseal(sealed: str, secret_key: str) -> str:
    """The secret `seal` sealed; raises ValueError when it was changed or sealed with another key."""
    raw = base64.urlsafe_b64decode(sealed.encode())
    body, tag = raw[:-32], raw[-32:]
    if not hmac.compare_digest(hmac.new(_subkey(secret_key, b"mac"), body, hashlib.sha256).digest(), tag):
        raise ValueError("sealed secret does not verify")
    nonce, cipher = body[:16], body[16:]
    stream = hmac.new(_subkey(secret_key, b"enc"), nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=False)).decode()


# -- enrolment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """A user's two-factor state: `enabled` once confirmed; `pending_secret` while setting up."""

    enabled: bool
    pending_secret: str
    recovery_left: int


async def is_enabled(user_id: int) -> bool:
    """Whether the user has confirmed two-factor authentication."""
    return bool(
        await TwoFactorEnrolment.exists().where(
            (TwoFactorEnrolment.user == user_id) & TwoFactorEnrolment.confirmed_at.is_not_null()
        )
    )


async def status(user_id: int, secret_key: str) -> Status:
    """The user's state; the secret is given only while enrolment is not confirmed."""
    row = await TwoFactorEnrolment.select().where(TwoFactorEnrolment.user == user_id).first()
    if row is None:
        return Status(False, "", 0)
    if row["confirmed_at"] is not None:
        left = await TwoFactorRecoveryCode.count().where(
            (TwoFactorRecoveryCode.user == user_id) & TwoFactorRecoveryCode.used_at.is_null()
        )
        return Status(True, "", left)
    return Status(False, unseal(row["secret_sealed"], secret_key), 0)


async def start(user_id: int, secret_key: str) -> str:
    """Begin (or restart) enrolment with a new secret and return it; refused when already on."""
    if await is_enabled(user_id):
        raise ValidationFailed({"form": "Two-factor authentication is already on."})
    secret = new_secret()
    await TwoFactorEnrolment.delete().where(TwoFactorEnrolment.user == user_id)
    await TwoFactorEnrolment.insert(TwoFactorEnrolment(user=user_id, secret_sealed=seal(secret, secret_key)))
    return secret


async def confirm(user_id: int, code: str, secret_key: str) -> list[str]:
    """Switch two-factor on once `code` matches the pending secret; returns the new recovery codes."""
    row = await TwoFactorEnrolment.select().where(TwoFactorEnrolment.user == user_id).first()
    if row is None or row["confirmed_at"] is not None:
        raise ValidationFailed({"form": "Start the set-up first."})
    step = matching_step(unseal(row["secret_sealed"], secret_key), code)
    if step is None:
        raise ValidationFailed({"code": WRONG_CODE})
    await TwoFactorEnrolment.update(
        {TwoFactorEnrolment.confirmed_at: datetime.now(UTC), TwoFactorEnrolment.last_step: step}
    ).where(TwoFactorEnrolment.id == row["id"])
    return await new_recovery_codes(user_id)


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


async def new_recovery_codes(user_id: int) -> list[str]:
    """Replace the user's recovery codes with 10 new ones and return them (shown once)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    codes = [f"{c[:5]}-{c[5:]}" for c in codes]
    await TwoFactorRecoveryCode.delete().where(TwoFactorRecoveryCode.user == user_id)
    await TwoFactorRecoveryCode.insert(*(TwoFactorRecoveryCode(user=user_id, code_hash=_code_hash(c)) for c in codes))
    return codes


async def check_code(user_id: int, code: str, secret_key: str) -> bool:
    """Whether `code` is a fresh TOTP code or an unused recovery code of the user; uses it up.

    The step is stored with a conditional update, so two requests racing with the same
    code cannot both pass.
    """
    row = await TwoFactorEnrolment.select().where(TwoFactorEnrolment.user == user_id).first()
    if row is None or row["confirmed_at"] is None:
        return False
    step = matching_step(unseal(row["secret_sealed"], secret_key), code)
    if step is not None:
        if step <= row["last_step"]:
            return False
        taken = (
            await TwoFactorEnrolment.update({TwoFactorEnrolment.last_step: step})
            .where((TwoFactorEnrolment.id == row["id"]) & (TwoFactorEnrolment.last_step < step))
            .returning(TwoFactorEnrolment.id)
        )
        return bool(taken)
    if not code.strip():
        return False
    used = (
        await TwoFactorRecoveryCode.update({TwoFactorRecoveryCode.used_at: datetime.now(UTC)})
        .where(
            (TwoFactorRecoveryCode.user == user_id)
            & (TwoFactorRecoveryCode.code_hash == _code_hash(code))
            & TwoFactorRecoveryCode.used_at.is_null()
        )
        .returning(TwoFactorRecoveryCode.id)
    )
    return bool(used)


async def check_proof(user_id: int, proof: str, secret_key: str) -> bool:
    """Whether `proof` is the user's password, a fresh code or an unused recovery code."""
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row and proof and await passwords.verify_password(row["password_hash"], proof):
        return True
    return await check_code(user_id, proof, secret_key)


async def disable(user_id: int) -> None:
    """Switch two-factor off: forget the secret and the recovery codes.

    Refused while an account the user belongs to requires two-factor.
    """
    if await requiring_accounts(user_id):
        raise ValidationFailed({"proof": "An account you belong to requires two-factor authentication."})
    await TwoFactorEnrolment.delete().where(TwoFactorEnrolment.user == user_id)
    await TwoFactorRecoveryCode.delete().where(TwoFactorRecoveryCode.user == user_id)


# -- the account requirement -----------------------------------------------------------------


async def all_requiring_accounts() -> list[int]:
    """Every account that requires two-factor authentication of its members."""
    rows = await TwoFactorAccountRule.select(TwoFactorAccountRule.account).where(
        TwoFactorAccountRule.required == True  # noqa: E712
    )
    return [int(r["account"]) for r in rows]


async def is_required(account_id: int) -> bool:
    """Whether the account requires two-factor authentication of its members."""
    return bool(
        await TwoFactorAccountRule.exists().where(
            (TwoFactorAccountRule.account == account_id) & (TwoFactorAccountRule.required == True)  # noqa: E712
        )
    )


async def requiring_accounts(user_id: int) -> list[str]:
    """Names of the user's accounts that require two-factor authentication."""
    member_of = [r["account"] for r in await Membership.select(Membership.account).where(Membership.user == user_id)]
    if not member_of:
        return []
    rows = await TwoFactorAccountRule.select(TwoFactorAccountRule.account.name).where(
        TwoFactorAccountRule.account.is_in(member_of) & (TwoFactorAccountRule.required == True)  # noqa: E712
    )
    return sorted(r["account.name"] for r in rows)


async def is_member(user_id: int, account_id: int) -> bool:
    """Whether the user belongs to the account."""
    return bool(await Membership.exists().where((Membership.user == user_id) & (Membership.account == account_id)))


async def account_name(account_id: int) -> str:
    """The account's name ('' when there is none)."""
    row = await Account.select(Account.name).where(Account.id == account_id).first()
    return str(row["name"]) if row else ""


async def set_required(account_id: int, required: bool, by: int) -> list[int]:
    """Store the account's requirement; returns the members without two-factor (when turned on)."""
    if await TwoFactorAccountRule.exists().where(TwoFactorAccountRule.account == account_id):
        await TwoFactorAccountRule.update(
            {
                TwoFactorAccountRule.required: required,
                TwoFactorAccountRule.changed_by: by,
                TwoFactorAccountRule.changed_at: datetime.now(UTC),
            }
        ).where(TwoFactorAccountRule.account == account_id)
    else:
        await TwoFactorAccountRule.insert(TwoFactorAccountRule(account=account_id, required=required, changed_by=by))
    if not required:
        return []
    members = [r["user"] for r in await Membership.select(Membership.user).where(Membership.account == account_id)]
    enrolled = (
        {
            r["user"]
            for r in await TwoFactorEnrolment.select(TwoFactorEnrolment.user).where(
                TwoFactorEnrolment.user.is_in(members) & TwoFactorEnrolment.confirmed_at.is_not_null()
            )
        }
        if members
        else set()
    )
    return [m for m in members if m not in enrolled]


# -- staff reset ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserState:
    """What the staff page shows of a user: who, and whether two-factor is on."""

    id: int
    email: str
    name: str
    enabled: bool


async def user_state(user_id: int) -> UserState | None:
    """The user's email, name and two-factor state, or None when there is no such user."""
    row = await User.select(User.id, User.email, User.name).where(User.id == user_id).first()
    if row is None:
        return None
    return UserState(row["id"], row["email"], row["name"], await is_enabled(user_id))


async def reset(user_id: int) -> bool:
    """Staff turn the user's two-factor off (lost app and codes); returns whether anything was on.

    Unlike `disable`, an account's requirement does not stop it: such a user must set
    up again at their next login.
    """
    removed = (
        await TwoFactorEnrolment.delete().where(TwoFactorEnrolment.user == user_id).returning(TwoFactorEnrolment.id)
    )
    await TwoFactorRecoveryCode.delete().where(TwoFactorRecoveryCode.user == user_id)
    return bool(removed)
