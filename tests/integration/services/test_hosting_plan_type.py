"""The hosting plan type itself, and the due-date arithmetic provisioning uses."""

from __future__ import annotations

from datetime import date

import pytest

from panel.core.services.hosting import HostingPlan
from panel.core.services.lifecycle import add_months, next_due
from panel.errors import ValidationFailed
from panel.product_types import ServiceContext


async def test_the_hosting_plan_needs_a_domain_at_checkout_and_is_labelled_by_it():
    plan = HostingPlan()
    with pytest.raises(ValidationFailed) as refused:
        await plan.validate_checkout({"domain": "  "}, {})
    assert refused.value.errors == {"domain": "Enter the domain name for the hosting account."}
    fields = await plan.validate_checkout({"domain": "site.example"}, {})
    assert plan.service_label(fields, "Basic hosting") == "site.example"


async def test_provisioning_a_hosting_plan_always_waits_for_staff():
    ctx = ServiceContext(1, 2, {"disk_gb": 0, "package": "gold"}, {"domain": "a.example"})
    result = await HostingPlan().provision(ctx)
    assert result.ok and not result.data
    assert result.waiting.startswith("Set up the hosting account by hand for a.example (package gold, unlimited disk)")


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
        (date(2026, 12, 1), 36, date(2029, 12, 1)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, due):
    assert add_months(start, months) == due


def test_one_time_and_free_services_are_never_due():
    assert next_due("onetime", date(2026, 1, 1)) is None
    assert next_due("free", date(2026, 1, 1)) is None
    assert next_due("semiannual", date(2026, 8, 31)) == date(2027, 2, 28)
