"""The one check that keeps a user without two-factor out of an account that requires it.

A session's current account changes in two places only: at login (where `login.py`
already sends such a user to enrolment before any session exists) and in
`panel.core.accounts.routes.switch_account` (the account switch, and every route that
switches, such as accepting an invitation). This check runs there, once per switch
(one indexed read of the account's rule, plus one of the user's enrolment when the
rule is on), so no page pays for it. The invariant "no session has a requiring account
as its current account unless its user is enrolled" then holds for every page:
turning a requirement on ends the sessions of members without two-factor, a staff
reset ends the user's sessions, and a user cannot turn two-factor off while an
account requires it.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response

from panel.core.twofactor import services
from panel.core.web.pages import redirect
from panel.errors import Forbidden

ENROL_PAGE = "/me/two-factor"


class EnrolmentRequired(Forbidden):
    """The account requires two-factor authentication and the user has not set it up (403 if not caught)."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"That account requires two-factor authentication: set it up first at {ENROL_PAGE}.")
        self.account_id = account_id


async def enrolment_due(user_id: int, account_id: int) -> bool:
    """Whether the account requires two-factor and the user has not turned it on."""
    return await services.is_required(account_id) and not await services.is_enabled(user_id)


async def check_switch(user_id: int, account_id: int) -> None:
    """Refuse (EnrolmentRequired) a switch into an account whose requirement the user does not meet."""
    if await enrolment_due(user_id, account_id):
        raise EnrolmentRequired(account_id)


REQUIRING_FRESH_FOR = 5.0
"""Seconds this process keeps the set of accounts that require two-factor (read for API calls)."""
_requiring: tuple[float, frozenset[int]] | None = None


async def requiring_accounts() -> frozenset[int]:
    """The accounts that require two-factor, read at most every few seconds (one query)."""
    global _requiring
    now = time.monotonic()
    if _requiring is None or now - _requiring[0] > REQUIRING_FRESH_FOR:
        _requiring = (now, frozenset(await services.all_requiring_accounts()))
    return _requiring[1]


def forget_requiring() -> None:
    """Read the requiring accounts again at the next question (after a change here, and in tests)."""
    global _requiring
    _requiring = None


async def check_api(user_id: int, account_id: int) -> None:
    """Refuse (EnrolmentRequired, 403) an API call naming an account that requires two-factor the user lacks.

    A session's current account is guarded at the switch; an API call names its
    account in the path (and tokens never switch), so the guard asks here. Costs no
    query for accounts without the requirement (a set kept a few seconds), one for
    those with it.
    """
    if account_id in await requiring_accounts() and not await services.is_enabled(user_id):
        raise EnrolmentRequired(account_id)


def to_enrolment(request: Request[Any, Any, Any]) -> Response[Any]:
    """The redirect to the enrolment page (it names the accounts that require it)."""
    return redirect(request, ENROL_PAGE)
