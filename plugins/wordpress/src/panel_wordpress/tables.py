"""What the panel remembers about connected WordPress sites.

A site belongs to one account (and may name one of its services). Refreshing a site
rewrites its inventory: one `WordpressItem` per plugin, theme and WordPress itself
(installed and offered versions), and a snapshot of its users. `WordpressIgnored`
holds the updates the account chose not to be reminded of. The site row keeps the
counts of pending updates, so lists need no extra query.
"""

from __future__ import annotations

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.services.tables import Service
from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SiteStatus:
    """Values of `WordpressSite.status`: how the last refresh went."""

    NEW = "new"  # connected, never refreshed
    OK = "ok"
    ERROR = "error"  # the last refresh failed; `last_error` says why, the inventory is the one before


class ItemKind:
    """Values of `WordpressItem.kind` and `WordpressIgnored.kind`."""

    CORE = "core"
    PLUGIN = "plugin"
    THEME = "theme"

    ALL = (CORE, PLUGIN, THEME)


class WordpressSite(Table, tablename="wordpress_site"):
    """A WordPress site connected to an account.

    `app_password` is sealed (`panel_wordpress.vault`); `app_password_uuid` is set when
    the panel created it (login connect) and lets disconnecting revoke it. `api_root`
    is the REST root: `<home>/wp-json` or `<home>/?rest_route=` without pretty links.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    service = ForeignKey(references=Service, on_delete=OnDelete.set_null, null=True, index=True)
    url = Varchar(length=300)
    api_root = Varchar(length=320)
    admin_url = Varchar(length=320, default="")
    name = Varchar(length=200, default="")
    wp_user = Varchar(length=100)
    app_password = Text()
    app_password_uuid = Varchar(length=64, default="")
    connector_version = Varchar(length=20, default="")
    wp_version = Varchar(length=30, default="")
    php_version = Varchar(length=30, default="")
    db_version = Varchar(length=100, default="")
    core_update = Varchar(length=30, default="")  # the WordPress version offered, "" when none (or ignored)
    plugin_updates = Integer(default=0)
    theme_updates = Integer(default=0)
    health = JSON(default=[])  # [{"test", "label", "status"}], status good|recommended|critical
    health_status = Varchar(length=20, default="")  # the worst status of `health`
    status = Varchar(length=10, default=SiteStatus.NEW, index=True)
    last_error = Text(default="")
    refresh_job = Integer(null=True, default=None)  # the last refresh asked for from a page or the API
    refreshed_at = Timestamptz(null=True, default=None)
    connected_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class WordpressItem(Table, tablename="wordpress_item"):
    """A plugin, theme or WordPress itself on a site: installed and offered versions.

    `slug` is the plugin's file (`akismet/akismet.php`), the theme's stylesheet, or
    `wordpress` for the core. Rows are kept across refreshes (updated in place) so
    later work (updates, rollbacks) can point at them.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    site = ForeignKey(references=WordpressSite, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10)
    slug = Varchar(length=255)
    name = Varchar(length=255, default="")
    version = Varchar(length=50, default="")
    new_version = Varchar(length=50, default="")  # "" when no update is offered
    active = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())


class WordpressUser(Table, tablename="wordpress_user"):
    """A user of a site as the last refresh saw it (a snapshot, replaced on every refresh)."""

    id: Serial  # added by Piccolo; declared for type checkers

    site = ForeignKey(references=WordpressSite, on_delete=OnDelete.cascade, index=True)
    wp_id = Integer()
    username = Varchar(length=100)
    email = Varchar(length=254, default="")
    name = Varchar(length=200, default="")
    roles = Varchar(length=200, default="")  # comma separated


class WordpressIgnored(Table, tablename="wordpress_ignored"):
    """An update the account does not want counted: one version of an item, or every version ("")."""

    id: Serial  # added by Piccolo; declared for type checkers

    site = ForeignKey(references=WordpressSite, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10)
    slug = Varchar(length=255)
    version = Varchar(length=50, default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
