"""The one family of errors that carries a message meant for the user.

Services raise these; a single exception handler turns each into the right HTTP
status, an htmx fragment, or a form error beside its field.
"""

from __future__ import annotations


class PanelError(Exception):
    """An error whose message can be shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(PanelError):
    """Input that cannot be accepted; `errors` maps field names to messages."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.values()), "Invalid input")
        super().__init__(first)
        self.errors = errors


class NotFound(PanelError):
    """The thing does not exist, or the user may not know that it does."""

    status_code = 404


class InUse(PanelError):
    """Something still refers to what was to be deleted; the message says what to do first."""

    status_code = 409


class Forbidden(PanelError):
    """The rules engine refused the action; `reason` names the deciding policy line (`panel policy explain`)."""

    status_code = 403

    def __init__(self, message: str, *, field: str | None = None, reason: str = "") -> None:
        super().__init__(message, field=field)
        self.reason = reason


class TooManyAttempts(PanelError):
    """A rate limit was hit; `retry_after` is in seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


class PluginError(Exception):
    """A plugin is broken or incompatible; the message names the plugin."""
