"""Two-factor authentication: a user's TOTP enrolment, recovery codes, accounts that require it."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User


class TwoFactorEnrolment(Table):
    """A user's TOTP secret (sealed with the panel's secret key); active once `confirmed_at` is set.

    `last_step` is the 30-second step of the last accepted code: a code of that step or
    an earlier one is refused, so a code works once.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    secret_sealed = Text()
    confirmed_at = Timestamptz(null=True, default=None)
    last_step = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class TwoFactorRecoveryCode(Table):
    """One single-use recovery code of a user; only its SHA-256 hash is stored."""

    id: Serial  # added by Piccolo; declared for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, index=True)
    used_at = Timestamptz(null=True, default=None)


class TwoFactorAccountRule(Table):
    """An account's "require two-factor for members" setting (a row per account that set it)."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    required = Boolean(default=False)
    changed_by = Integer(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())
