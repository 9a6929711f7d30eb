"""Referral rules: codes, who referred whom, the one reward per referred account, and its reversal.

How a referral comes about: `/r/{code}` leaves the code and the time of the click in
a cookie (`COOKIE`, 30 days, the first click wins). When an account is opened in that
browser, `attach_from_request` records the referral; the new account's owner may
also confirm the code on their referral page (`attach_referrer`), as long as the
account is new (`may_be_referred`).

How a reward comes about: `reward_first_invoice` runs from `panel_on_invoice_paid`.
The referred account's first paid invoice with an amount decides, once: the row of
the referral (unique per referred account) leaves `signed_up` by a conditional UPDATE,
so a hook that runs twice, or two payments that race, pay at most one reward; the
credit entry, the audit event and the email join that same transaction.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns import Column

from panel.core import db
from panel.core.accounts.tables import Account, AccountStatus
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.auth.tables import User
from panel.core.billing import credit
from panel.core.billing.tables import Invoice, InvoiceKind
from panel.core.mail import services as mail
from panel.core.referrals.tables import (
    STATUS_LABELS,
    Referral,
    ReferralCode,
    ReferralProgramme,
    ReferralStatus,
    RewardKind,
)
from panel.errors import NotFound, ValidationFailed
from panel.money import CURRENCIES, format_money, format_percent, parse_amount, parse_percent, percent_of

PROGRAMME_OBJECT = "referral:programme"
"""The rules-engine object of an account's referral programme (`read`, `claim`)."""
ADMIN_OBJECT = "admin:referrals"
"""The staff page's object on the platform (`read`, `update` the terms, `reverse` a reward)."""

COOKIE = "panel_referral"
COOKIE_DAYS = 30
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
CODE_LENGTH = 8
CREDIT_KIND = "referral"
PROGRAMME_ID = 1
ADMIN_PAGE_SIZE = 100


# -- codes and the cookie ----------------------------------------------------------------


def normalise_code(text: str) -> str:
    """A code as typed ("k7qm-2xpa ") in its stored form ("K7QM2XPA"); "" when it cannot be one."""
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return ""
    return cleaned


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def code_of(account_id: int) -> str:
    """The account's referral code, made on first use (a clash of random codes draws again)."""
    for _ in range(5):
        row = await ReferralCode.select(ReferralCode.code).where(ReferralCode.account == account_id).first()
        if row is not None:
            return str(row["code"])
        await ReferralCode.insert(ReferralCode(account=account_id, code=_new_code())).on_conflict(action="DO NOTHING")
    raise RuntimeError(f"could not make a referral code for account {account_id}")


async def account_by_code(code: str) -> int | None:
    """The account whose code this is, or None."""
    code = normalise_code(code)
    if not code:
        return None
    row = await ReferralCode.select(ReferralCode.account).where(ReferralCode.code == code).first()
    return int(row["account"]) if row else None


def link(base_url: str, code: str) -> str:
    """The referral link to share."""
    return f"{base_url.rstrip('/')}/r/{code}"


def cookie_value(code: str, now: float | None = None) -> str:
    """What the cookie holds: the code and the time of the click ("K7QM2XPA.1767225600")."""
    return f"{code}.{int(time.time() if now is None else now)}"


def code_from_cookie(value: str, now: float | None = None) -> str:
    """The code of a cookie set less than `COOKIE_DAYS` ago; "" when absent, malformed or expired."""
    code, _, clicked = value.partition(".")
    code = normalise_code(code)
    if not code or not clicked.isdigit():
        return ""
    age = (time.time() if now is None else now) - int(clicked)
    return code if 0 <= age < COOKIE_DAYS * 86400 else ""


# -- the provider's terms ------------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    """The terms rewards are paid on (see `ReferralProgramme`)."""

    enabled: bool = False
    currency: str = "USD"
    reward_kind: str = RewardKind.FIXED
    fixed_amount: int = 0
    percent_bp: int = 0
    cap: int = 0
    min_invoice: int = 0

    def describe(self) -> str:
        """The reward in one phrase, for pages and email ("$20.00", "10 % of the first invoice, at most $50.00")."""
        if self.reward_kind == RewardKind.FIXED:
            return format_money(self.fixed_amount, self.currency)
        text = f"{format_percent(self.percent_bp)} of the first invoice"
        return text + (f", at most {format_money(self.cap, self.currency)}" if self.cap else "")

    def reward_for(self, amount: int) -> int:
        """The reward for a first invoice of `amount` (before tax, in `currency`); 0 below the minimum."""
        if amount <= 0 or amount < self.min_invoice:
            return 0
        if self.reward_kind == RewardKind.FIXED:
            return self.fixed_amount
        reward = percent_of(amount, self.percent_bp)
        return min(reward, self.cap) if self.cap else reward


async def programme() -> Programme:
    """The current terms (off, when staff never saved any)."""
    row = await ReferralProgramme.select().where(ReferralProgramme.id == PROGRAMME_ID).first()
    if row is None:
        return Programme()
    return Programme(
        enabled=bool(row["enabled"]),
        currency=str(row["currency"]),
        reward_kind=str(row["reward_kind"]),
        fixed_amount=int(row["fixed_amount"]),
        percent_bp=int(row["percent_bp"]),
        cap=int(row["cap"]),
        min_invoice=int(row["min_invoice"]),
    )


def parse_programme(form: Mapping[str, str]) -> Programme:
    """Terms from the staff form (amounts as "12.50"); every problem at once beside its field."""
    errors: dict[str, str] = {}
    currency = form.get("currency", "").strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = "Choose a currency."
        currency = "USD"
    kind = form.get("reward_kind", "")
    if kind not in (RewardKind.FIXED, RewardKind.PERCENT):
        errors["reward_kind"] = "Choose a fixed amount or a percentage."
    values: dict[str, int] = {}
    for name in ("fixed_amount", "cap", "min_invoice"):
        text = form.get(name, "").strip() or "0"
        try:
            values[name] = parse_amount(text, currency, field=name)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    try:
        values["percent_bp"] = parse_percent(form.get("percent", "").strip() or "0")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if kind == RewardKind.FIXED and "fixed_amount" not in errors and values.get("fixed_amount", 0) <= 0:
        errors["fixed_amount"] = "Enter the amount of credit the referrer gets."
    if kind == RewardKind.PERCENT and "percent" not in errors and values.get("percent_bp", 0) <= 0:
        errors["percent"] = "Enter the percentage of the first invoice the referrer gets."
    if errors:
        raise ValidationFailed(errors)
    return Programme(
        enabled=form.get("enabled", "") in ("on", "1", "true"),
        currency=currency,
        reward_kind=kind,
        fixed_amount=values["fixed_amount"],
        percent_bp=values["percent_bp"],
        cap=values["cap"],
        min_invoice=values["min_invoice"],
    )


async def save_programme(terms: Programme, *, by: AuditContext) -> None:
    """Store the terms (they apply to invoices paid from now on); audited."""
    before = await programme()
    columns: dict[Column | str, Any] = {
        ReferralProgramme.enabled: terms.enabled,
        ReferralProgramme.currency: terms.currency,
        ReferralProgramme.reward_kind: terms.reward_kind,
        ReferralProgramme.fixed_amount: terms.fixed_amount,
        ReferralProgramme.percent_bp: terms.percent_bp,
        ReferralProgramme.cap: terms.cap,
        ReferralProgramme.min_invoice: terms.min_invoice,
        ReferralProgramme.updated_at: datetime.now(UTC),
        ReferralProgramme.updated_by: by["actor"],
    }
    async with db.write_transaction():
        await ReferralProgramme.insert(ReferralProgramme(id=PROGRAMME_ID)).on_conflict(action="DO NOTHING")
        await ReferralProgramme.update(columns).where(ReferralProgramme.id == PROGRAMME_ID)
        state = "on" if terms.enabled else "off"
        await record(
            "referral.programme",
            account_id=None,
            target=ADMIN_OBJECT,
            summary=f"Set the referral programme {state}: {terms.describe()}, "
            f"minimum invoice {format_money(terms.min_invoice, terms.currency)}.",
            details={"before": asdict(before), "after": asdict(terms)},
            **by,
        )


# -- becoming referred ------------------------------------------------------------------------


async def _paid_invoices(account_id: int) -> list[dict[str, Any]]:
    """The account's paid invoices with an amount, first paid first."""
    return list(
        await Invoice.select(
            Invoice.id, Invoice.number, Invoice.currency, Invoice.subtotal, Invoice.discount, Invoice.total
        )
        .where(
            (Invoice.account == account_id)
            & (Invoice.kind == InvoiceKind.INVOICE)
            & Invoice.paid_at.is_not_null()
            & (Invoice.total > 0)
        )
        .order_by(Invoice.paid_at)
        .order_by(Invoice.id)
    )


async def _owners(*account_ids: int) -> dict[int, dict[str, Any]]:
    rows = await Account.select(Account.id, Account.name, Account.owner, Account.status, Account.created_at).where(
        Account.id.is_in(list(account_ids))
    )
    return {int(r["id"]): r for r in rows}


async def may_be_referred(account_id: int) -> bool:
    """Whether the account may still name a referrer: none yet, new (30 days), no paid invoice with an amount."""
    if await Referral.exists().where(Referral.referred == account_id):
        return False
    found = await _owners(account_id)
    row = found.get(account_id)
    if row is None or row["created_at"] < datetime.now(UTC) - timedelta(days=COOKIE_DAYS):
        return False
    return not await _paid_invoices(account_id)


async def attach_referrer(account_id: int, code: str, *, by: AuditContext = SYSTEM) -> int:
    """Record that `code`'s account referred `account_id`; returns the referral's id (audited).

    Naming the same referrer again returns the existing referral. Raises
    `ValidationFailed` on `code` when the programme is off, the code is unknown, the
    account would refer itself (or another account of the same owner), or the account
    is not new (`may_be_referred`).
    """
    terms = await programme()
    if not terms.enabled:
        raise ValidationFailed({"code": "The referral programme is closed."})
    referrer = await account_by_code(code)
    if referrer is None:
        raise ValidationFailed({"code": "No account has this referral code."})
    existing = await Referral.select(Referral.id, Referral.referrer).where(Referral.referred == account_id).first()
    if existing is not None and int(existing["referrer"]) == referrer:
        return int(existing["id"])
    found = await _owners(referrer, account_id)
    if account_id not in found:
        raise NotFound("No such account.")
    if referrer == account_id or found[referrer]["owner"] == found[account_id]["owner"]:
        raise ValidationFailed({"code": "Your own accounts cannot refer each other."})
    if not await may_be_referred(account_id):
        raise ValidationFailed({"code": "Only a new account can be referred, before its first paid invoice."})
    async with db.write_transaction():
        inserted = (
            await Referral.insert(Referral(referrer=referrer, referred=account_id, code=normalise_code(code)))
            .on_conflict(action="DO NOTHING")
            .returning(Referral.id)
        )
        if not inserted:  # a concurrent attach won
            raise ValidationFailed({"code": "This account was referred already."})
        referral_id = int(inserted[0]["id"])
        await record(
            "referral.signup",
            account_id=account_id,
            target=f"account:{account_id}",
            summary="Signed up through a customer's referral link.",
            details={"referral": referral_id, "code": normalise_code(code)},
            **by,
        )
    return referral_id


async def attach_from_request(request: Any, account_id: int, actor: int | None = None) -> bool:
    """Record the referral of a just-opened account from the browser's referral cookie; True when recorded.

    For the code that opens accounts (checkout, `/accounts/new`): call it after the
    account's transaction committed; `actor` names the user who opened it when the
    request has none yet (a sign-up). Does nothing without a cookie younger than 30
    days, and never fails the caller: a refused referral is simply not recorded.
    """
    from panel.core.audit.context import audit_context

    code = code_from_cookie(request.cookies.get(COOKIE, ""))
    if not code:
        return False
    by = audit_context(request)
    if actor is not None:
        by = {**by, "actor": actor}
    try:
        await attach_referrer(account_id, code, by=by)
    except (ValidationFailed, NotFound):
        return False
    return True


# -- the reward ------------------------------------------------------------------------------------


def mask(name: str) -> str:
    """An account name as its referrer sees it: each word's first letter ("Novak s.r.o." -> "N*** s***")."""
    words = [w for w in name.split() if w]
    return " ".join(f"{w[0]}***" for w in words) or "***"


def _decline_reason(
    terms: Programme, accounts: Mapping[int, Mapping[str, Any]], referrer: int, referred: int, currency: str, net: int
) -> str:
    """Why this first invoice earns nothing, or "" when it earns a reward."""
    if not terms.enabled:
        return "The referral programme was off."
    if referrer not in accounts or accounts[referrer]["status"] != AccountStatus.ACTIVE:
        return "The referring account was suspended or closed."
    if referrer == referred or accounts[referrer]["owner"] == accounts.get(referred, {}).get("owner"):
        return "Self-referral: both accounts have the same owner."
    if currency != terms.currency:
        return f"The first invoice was in {currency}; rewards are paid in {terms.currency}."
    if net < terms.min_invoice:
        return f"The first invoice was below the minimum of {format_money(terms.min_invoice, terms.currency)}."
    if terms.reward_for(net) <= 0:
        return "The reward came to nothing."
    return ""


async def reward_first_invoice(invoice_id: int, account_id: int) -> str:
    """Decide the referral of `account_id` on its first paid invoice; returns the referral's status then.

    Called for every paid invoice (`panel_on_invoice_paid`); does nothing when the
    account has no referral still `signed_up`, or has no paid invoice with an amount
    (a free order). The decision is the referred account's FIRST such invoice's, even
    when the hook fires for a later one. A reward adds credit to the referrer (kind
    `referral`), is audited in the referrer's account and emailed to its owner, all in
    one transaction with the decision.
    """
    ref = await Referral.select().where(Referral.referred == account_id).first()
    if ref is None:
        return ""
    if ref["status"] != ReferralStatus.SIGNED_UP:
        return str(ref["status"])
    paid = await _paid_invoices(account_id)
    if not paid:
        return ReferralStatus.SIGNED_UP
    first = paid[0]
    referrer = int(ref["referrer"])
    currency = str(first["currency"])
    net = int(first["subtotal"]) - int(first["discount"])
    terms = await programme()
    accounts = await _owners(referrer, account_id)
    reason = _decline_reason(terms, accounts, referrer, account_id, currency, net)
    amount = 0 if reason else terms.reward_for(net)
    status = ReferralStatus.NO_REWARD if reason else ReferralStatus.REWARDED
    masked = mask(str(accounts.get(account_id, {}).get("name", "")))
    async with db.write_transaction():
        won = (
            await Referral.update(
                {
                    Referral.status: status,
                    Referral.reason: reason,
                    Referral.invoice_id: int(first["id"]),
                    Referral.reward_amount: amount,
                    Referral.reward_currency: currency if amount else "",
                    Referral.decided_at: datetime.now(UTC),
                }
            )
            .where((Referral.id == ref["id"]) & (Referral.status == ReferralStatus.SIGNED_UP))
            .returning(Referral.id)
        )
        if not won:  # the hook of another payment decided it meanwhile
            now = await Referral.select(Referral.status).where(Referral.id == ref["id"]).first()
            return str(now["status"]) if now else ""
        if reason:
            await record(
                "referral.no_reward",
                account_id=None,
                target=f"account:{referrer}",
                summary=f"No referral reward for account {account_id}: {reason}",
                details={"referral": ref["id"], "referred": account_id, "invoice": first["id"]},
                **SYSTEM,
            )
            return status
        note = f"Referral reward: {masked} paid its first invoice"
        after = await credit.add(referrer, currency, amount, CREDIT_KIND, note, None)
        await record(
            "referral.reward",
            account_id=referrer,
            target=f"account:{referrer}",
            summary=f"Earned {format_money(amount, currency)} of account credit: {masked}, "
            "an account you referred, paid its first invoice.",
            details={"referral": ref["id"], "amount": amount, "currency": currency, "balance_after": after},
            **SYSTEM,
        )
        owner = await User.select(User.email, User.name).where(User.id == accounts[referrer]["owner"]).first()
        if owner is not None:
            await mail.send(
                "referral_reward",
                str(owner["email"]),
                {
                    "name": owner["name"],
                    "account_name": accounts[referrer]["name"],
                    "referred": masked,
                    "amount": format_money(amount, currency),
                    "balance": format_money(after, currency),
                },
                account_id=referrer,
            )
    return status


async def reverse(referral_id: int, reason: str, *, by: AuditContext) -> None:
    """Staff take a paid reward back out of the referrer's credit, with a reason; audited.

    Raises `ValidationFailed` when there is no paid reward to reverse, when no reason
    is given, or when the referrer has spent the credit (nothing changes then: remove
    what is left by hand on the account's credit page).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Say why the reward is reversed; the client sees it."})
    async with db.write_transaction():
        done = (
            await Referral.update(
                {
                    Referral.status: ReferralStatus.REVERSED,
                    Referral.reversed_at: datetime.now(UTC),
                    Referral.reversed_by: by["actor"],
                }
            )
            .where((Referral.id == referral_id) & (Referral.status == ReferralStatus.REWARDED))
            .returning(Referral.referrer, Referral.reward_amount, Referral.reward_currency)
        )
        if not done:
            if not await Referral.exists().where(Referral.id == referral_id):
                raise NotFound("No such referral.")
            raise ValidationFailed({"reason": "This referral has no paid reward to reverse."})
        referrer, amount, currency = int(done[0]["referrer"]), int(done[0]["reward_amount"]), done[0]["reward_currency"]
        note = f"Referral reward reversed: {reason}"
        after = await credit.spend(referrer, currency, amount, CREDIT_KIND, note, by["actor"])
        await record(
            "referral.reverse",
            account_id=referrer,
            target=f"account:{referrer}",
            summary=f"Reversed a referral reward of {format_money(amount, currency)}: {reason}",
            details={"referral": referral_id, "amount": amount, "currency": currency, "balance_after": after},
            **by,
        )


# -- what pages and the API show ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    """One referral as its referrer sees it: the account's name masked."""

    id: int
    account: str
    signed_up_at: datetime
    status: str
    status_label: str
    reward: str


@dataclass(frozen=True)
class Overview:
    """An account's referral link, its counts, the credit it earned and its referrals (newest first)."""

    code: str
    link: str
    signed_up: int
    paying: int
    rewarded: int
    earned: dict[str, int]
    earned_text: str
    referrals: list[ReferralRow]


def _reward_text(row: Mapping[str, Any]) -> str:
    if row["status"] in (ReferralStatus.REWARDED, ReferralStatus.REVERSED) and row["reward_currency"]:
        return format_money(int(row["reward_amount"]), str(row["reward_currency"]))
    return ""


async def overview(account_id: int, base_url: str) -> Overview:
    """The account's referral page and API (its code is made on first use)."""
    code = await code_of(account_id)
    rows = (
        await Referral.select(
            Referral.id,
            Referral.referred.name,
            Referral.status,
            Referral.reward_amount,
            Referral.reward_currency,
            Referral.created_at,
        )
        .where(Referral.referrer == account_id)
        .order_by(Referral.created_at, ascending=False)
        .order_by(Referral.id, ascending=False)
    )
    earned: dict[str, int] = {}
    for r in rows:
        if r["status"] == ReferralStatus.REWARDED:
            earned[r["reward_currency"]] = earned.get(r["reward_currency"], 0) + int(r["reward_amount"])
    return Overview(
        code=code,
        link=link(base_url, code),
        signed_up=len(rows),
        paying=sum(1 for r in rows if r["status"] != ReferralStatus.SIGNED_UP),
        rewarded=sum(1 for r in rows if r["status"] == ReferralStatus.REWARDED),
        earned=earned,
        earned_text=", ".join(format_money(v, c) for c, v in sorted(earned.items())) or "none yet",
        referrals=[
            ReferralRow(
                id=int(r["id"]),
                account=mask(str(r["referred.name"] or "")),
                signed_up_at=r["created_at"],
                status=str(r["status"]),
                status_label=STATUS_LABELS.get(str(r["status"]), str(r["status"])),
                reward=_reward_text(r),
            )
            for r in rows
        ],
    )


@dataclass(frozen=True)
class AdminRow:
    """One referral as staff see it: both accounts by name, the outcome and its reason."""

    id: int
    referrer_id: int
    referrer: str
    referred_id: int
    referred: str
    created_at: datetime
    status: str
    status_label: str
    reason: str
    reward: str
    reversible: bool


async def admin_rows(limit: int = ADMIN_PAGE_SIZE) -> list[AdminRow]:
    """The latest referrals of every account, newest first."""
    rows = (
        await Referral.select(
            Referral.id,
            Referral.referrer,
            Referral.referrer.name,
            Referral.referred,
            Referral.referred.name,
            Referral.status,
            Referral.reason,
            Referral.reward_amount,
            Referral.reward_currency,
            Referral.created_at,
        )
        .order_by(Referral.id, ascending=False)
        .limit(limit)
    )
    return [
        AdminRow(
            id=int(r["id"]),
            referrer_id=int(r["referrer"]),
            referrer=str(r["referrer.name"]),
            referred_id=int(r["referred"]),
            referred=str(r["referred.name"]),
            created_at=r["created_at"],
            status=str(r["status"]),
            status_label=STATUS_LABELS.get(str(r["status"]), str(r["status"])),
            reason=str(r["reason"]),
            reward=_reward_text(r),
            reversible=r["status"] == ReferralStatus.REWARDED,
        )
        for r in rows
    ]


async def is_member(user_id: int, account_id: int) -> bool:
    """Whether the user belongs to the account."""
    from panel.core.accounts.tables import Membership

    return bool(await Membership.exists().where((Membership.user == user_id) & (Membership.account == account_id)))
