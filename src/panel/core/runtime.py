"""What background work needs of the running panel: settings, plugins, product types, gateways.

A request has all of it on `request.app.state`; a job runs outside any request (in
the web process's worker or in `panel worker`), so the process installs one
`Runtime` when it starts and jobs read it with `current()`. One process serves one
configuration, as it has one database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from panel.core.plugins import PanelPlugins
    from panel.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """The same attributes as the app's state, so code written for `app.state` takes it too."""

    settings: Settings
    plugins: PanelPlugins
    product_types: Mapping[str, Any]
    payment_gateways: Mapping[str, Any]
    authz: Any = None
    """The process's rules engine (`panel.core.authz.Authorizer`), for jobs that change grants; None before it loads."""


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Make `runtime` the one jobs of this process use (at app start-up and `panel worker` start)."""
    global _current
    _current = runtime


def from_plugins(settings: Settings, plugins: PanelPlugins) -> Runtime:
    """A runtime for the CLI, built from the loaded plugins."""
    return Runtime(settings, plugins, plugins.product_types(), plugins.payment_gateways())


def current() -> Runtime:
    """The installed runtime; a `RuntimeError` if the process never installed one."""
    if _current is None:
        raise RuntimeError("no panel runtime is installed (start the app or `panel worker` first)")
    return _current


def install_mailer(settings: Settings, plugins: PanelPlugins) -> None:
    """Let jobs outside the web app queue email: a mailer with every plugin's templates.

    It only renders and writes to the outbox; the web app's mail loop (or the next
    one that starts) delivers. Called by the CLI before it runs anything.
    """
    from panel.core.mail import services as mail
    from panel.core.mail.config import MailConfig
    from panel.core.mail.mailer import Mailer
    from panel.core.web.templating import build_environment

    mail.install(Mailer(build_environment(plugins.template_dirs()), MailConfig.from_settings(settings)))
