"""Settings of the lifecycle feature (`PANEL_CORE_LIFECYCLE_*`, or `[plugins.core_lifecycle]`)."""

from __future__ import annotations

from dataclasses import dataclass

from panel.settings import Setting, Settings, parse_int

PLUGIN = "core_lifecycle"


def parse_steps(raw: str) -> list[int]:
    """Reminder steps in days from the due date, e.g. `-7,-1,3,7` (negative: before)."""
    try:
        steps = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
    except ValueError:
        raise ValueError("give whole days separated by commas, e.g. -7,-1,3,7") from None
    return steps


def _not_negative(value: int) -> None:
    if value < 0:
        raise ValueError("must be 0 or more")


def _steps_in_range(value: list[int]) -> None:
    if any(abs(step) > 365 for step in value):
        raise ValueError("each step must be within a year of the due date")


SETTINGS = (
    Setting(
        "renew_days_before",
        "Days before a service's due date that its renewal invoice is issued.",
        14,
        parse=parse_int,
        validate=_not_negative,
    ),
    Setting(
        "reminder_days",
        "Reminder emails, in days from an unpaid invoice's due date (negative: before it).",
        [-7, -1, 3, 7],
        parse=parse_steps,
        validate=_steps_in_range,
    ),
    Setting(
        "suspend_after_days",
        "Days past the due date of an unpaid renewal after which the service is suspended.",
        5,
        parse=parse_int,
        validate=_not_negative,
    ),
    Setting(
        "terminate_after_days",
        "Days past the due date of an unpaid renewal after which the service is terminated.",
        30,
        parse=parse_int,
        validate=_not_negative,
    ),
)


@dataclass(frozen=True)
class LifecycleConfig:
    """The settings above, typed."""

    renew_days_before: int = 14
    reminder_days: tuple[int, ...] = (-7, -1, 3, 7)
    suspend_after_days: int = 5
    terminate_after_days: int = 30


def config_of(settings: Settings | None) -> LifecycleConfig:
    """The lifecycle settings (the defaults when `settings` is None)."""
    if settings is None:
        return LifecycleConfig()
    values = settings.for_plugin(PLUGIN)
    return LifecycleConfig(
        renew_days_before=int(values.get("renew_days_before", 14)),
        reminder_days=tuple(values.get("reminder_days", (-7, -1, 3, 7))),
        suspend_after_days=int(values.get("suspend_after_days", 5)),
        terminate_after_days=int(values.get("terminate_after_days", 30)),
    )
