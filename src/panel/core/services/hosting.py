"""The hosting plan: core's own product type, set up by staff by hand.

It makes the panel useful before any provisioning plugin is installed: a paid hosting
plan becomes a task in the admin area ("Set up the hosting account by hand ..."), and
the service turns active when staff complete the task with the account's details.
A plugin that talks to a real control panel registers its own type instead.
"""

from __future__ import annotations

from panel.product_types import OperationResult, ProductType, ServiceContext
from panel.settings import Setting


def _positive_int(value: str) -> int:
    number = int(str(value).strip())
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


class HostingPlan(ProductType):
    """Shared hosting set up by hand: provisioning always waits for staff."""

    name = "core.hosting_plan"
    label = "Hosting plan"
    description = "A hosting account that staff set up by hand; a task in the admin area says what to do."
    options = (
        Setting("disk_gb", "Disk space in GB (0: unlimited).", default=10, parse=_positive_int),
        Setting("bandwidth_gb", "Monthly traffic in GB (0: unlimited).", default=0, parse=_positive_int),
        Setting("server_group", "The group of servers to set the account up on.", default="default"),
        Setting("package", "The package name on the server (e.g. the cPanel package).", default=""),
    )
    checkout_fields = (Setting("domain", "the domain name for the hosting account", required=True),)

    async def provision(self, ctx: ServiceContext) -> OperationResult:
        """Nothing to call: staff create the account, so the service waits for them.

        Idempotent by nature; provisioning makes one open task, however often it runs.
        """
        config = ctx.product_config
        domain = ctx.service_data.get("domain") or "the client's domain"
        disk = config.get("disk_gb", 10)
        size = "unlimited disk" if str(disk) == "0" else f"{disk} GB disk"
        group = config.get("server_group") or "default"
        package = config.get("package") or ""
        what = f"package {package}, " if package else ""
        return OperationResult(
            waiting=(
                f"Set up the hosting account by hand for {domain} ({what}{size}) on a server of group {group}, "
                "then complete this task with the username and server."
            )
        )


class ManualService(ProductType):
    """Anything staff deliver by hand (an addon such as backups, setup work, a licence).

    No checkout fields: the service is named after its product, and provisioning opens
    a task describing it.
    """

    name = "core.manual"
    label = "Service set up by staff"
    description = "A service or addon that staff deliver by hand; a task in the admin area says what to do."
    options = (Setting("instructions", "What staff must do when one is ordered.", default=""),)

    async def provision(self, ctx: ServiceContext) -> OperationResult:
        """Open a task (one, however often it runs) with the product's instructions."""
        what = ctx.product_config.get("instructions") or "Deliver this service"
        return OperationResult(waiting=f"{what}, then complete this task.")
