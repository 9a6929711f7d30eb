"""Demo data of the support desk: two departments, with the demo support staff assigned to both.

Idempotent: a department that exists (by name) is left as it is. Meant to be called
by `panel.core.demo.load_demo` after the staff users exist:
`await support_demo.seed(staff_emails=("support@example.com",))`.
"""

from __future__ import annotations

from collections.abc import Sequence

from panel.core import db
from panel.core.auth.tables import User
from panel.core.support.tables import SupportCannedResponse, SupportDepartment, SupportDepartmentStaff

DEPARTMENTS = (
    ("Technical support", "Problems with a service, email, DNS or your website.", 10),
    ("Billing", "Invoices, payments, refunds and your account.", 20),
)
CANNED = (
    ("Thanks, looking into it", "Thank you for the details. We are looking into it and will update this ticket soon."),
    ("Anything else?", "Is there anything else we can help you with? If not, you can close this ticket."),
)


async def seed(staff_emails: Sequence[str] = ("support@example.com",)) -> dict[str, int]:
    """Create the demo departments (and assign the given staff users to each); returns {name: id}."""
    ids: dict[str, int] = {}
    async with db.write_transaction():
        staff = await User.select(User.id).where(User.email.is_in(list(staff_emails))) if staff_emails else []
        for name, description, order in DEPARTMENTS:
            row = await SupportDepartment.select(SupportDepartment.id).where(SupportDepartment.name == name).first()
            if row is None:
                row = (
                    await SupportDepartment.insert(
                        SupportDepartment(name=name, description=description, sort_order=order, is_active=True)
                    ).returning(SupportDepartment.id)
                )[0]
            ids[name] = int(row["id"])
            for user in staff:
                if not await SupportDepartmentStaff.exists().where(
                    (SupportDepartmentStaff.department == ids[name]) & (SupportDepartmentStaff.user == user["id"])
                ):
                    await SupportDepartmentStaff.insert(SupportDepartmentStaff(department=ids[name], user=user["id"]))
        for title, body in CANNED:
            if not await SupportCannedResponse.exists().where(SupportCannedResponse.title == title):
                await SupportCannedResponse.insert(SupportCannedResponse(title=title, body=body))
    return ids
