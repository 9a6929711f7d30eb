"""The referral programme: each account's code, who was referred by whom, and the provider's terms."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User


class ReferralStatus:
    """Values of `Referral.status`: every referral starts `signed_up` and is decided once."""

    SIGNED_UP = "signed_up"
    REWARDED = "rewarded"
    NO_REWARD = "no_reward"
    REVERSED = "reversed"


STATUS_LABELS = {
    ReferralStatus.SIGNED_UP: "signed up",
    ReferralStatus.REWARDED: "rewarded",
    ReferralStatus.NO_REWARD: "no reward",
    ReferralStatus.REVERSED: "reward reversed",
}


class RewardKind:
    """Values of `ReferralProgramme.reward_kind`."""

    FIXED = "fixed"
    PERCENT = "percent"


class ReferralCode(Table, tablename="panel_referral_code"):
    """An account's referral code (made the first time the account's referral page or API is read)."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    code = Varchar(length=16, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Referral(Table, tablename="panel_referral"):
    """An account (`referred`) that signed up through another account's (`referrer`) link.

    `referred` is unique: an account has at most one referrer, so at most one reward is
    ever paid for it. `status` leaves `signed_up` once, by a conditional UPDATE, when the
    referred account's first invoice with an amount is paid; `invoice_id` is that invoice.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    referrer = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    referred = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    code = Varchar(length=16)
    status = Varchar(length=12, default=ReferralStatus.SIGNED_UP, index=True)
    reason = Varchar(length=200, default="")
    invoice_id = Integer(null=True, default=None)
    reward_amount = BigInt(default=0)
    reward_currency = Varchar(length=3, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    decided_at = Timestamptz(null=True, default=None)
    reversed_at = Timestamptz(null=True, default=None)
    reversed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)


class ReferralProgramme(Table, tablename="panel_referral_programme"):
    """The provider's terms (one row, id 1; absent means the programme is off).

    Amounts are minor units of `currency`; `percent_bp` is in basis points (1000 = 10 %);
    `cap` 0 means no cap; the reward is paid only for invoices in `currency`.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    enabled = Boolean(default=False)
    currency = Varchar(length=3, default="USD")
    reward_kind = Varchar(length=8, default=RewardKind.FIXED)
    fixed_amount = BigInt(default=0)
    percent_bp = Integer(default=0)
    cap = BigInt(default=0)
    min_invoice = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
