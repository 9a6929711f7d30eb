"""What the panel remembers of changes made to many sites at once: runs and their steps.

A `WordpressRun` is one request of an account ("update these sites", "install this
plugin there", "create this user on these sites"), carried out by one background job.
It has one `WordpressRunStep` per site and item, written before the job starts, so the
run's page shows every step from the beginning and a job that runs again skips the
steps already finished.
"""

from __future__ import annotations

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel_wordpress.tables import WordpressSite


class RunOp:
    """Values of `WordpressRun.op`: what the run does on each site."""

    UPDATE = "update"  # update plugins, themes or core, keeping files and rolling back a breaking update
    INSTALL = "install"  # install a plugin or theme (wordpress.org slug or an uploaded zip)
    CREATE_USER = "create_user"  # create the same user on every chosen site

    ALL = (UPDATE, INSTALL, CREATE_USER)


class RunState:
    """Values of `WordpressRun.state`."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # every step finished (some may have failed: see the steps)


class StepState:
    """Values of `WordpressRunStep.state`."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"  # updated, installed, created, or nothing to do
    ROLLED_BACK = "rolled_back"  # the update broke the site; the kept files are back
    FAILED = "failed"

    FINISHED = (DONE, ROLLED_BACK, FAILED)


class WordpressRun(Table, tablename="wordpress_run"):
    """One bulk change of an account's sites, run by the job `job`.

    `options` holds what every step needs besides its site and item (for an install:
    kind, slug or the stored upload, activate; for a user: user name, email, role).
    Never a password.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    op = Varchar(length=20)
    title = Varchar(length=300, default="")
    options = JSON(default={})
    state = Varchar(length=10, default=RunState.QUEUED)
    job = Integer(null=True, default=None)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class WordpressRunStep(Table, tablename="wordpress_run_step"):
    """One site and item of a run, with its outcome.

    `kind` and `slug` name the item as on `WordpressItem` (plugin file, theme
    stylesheet, "wordpress"); for an install, the slug or file asked for until the site
    says what it installed; for a user, the user name.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    run = ForeignKey(references=WordpressRun, on_delete=OnDelete.cascade, index=True)
    site = ForeignKey(references=WordpressSite, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    kind = Varchar(length=10, default="")
    slug = Varchar(length=255, default="")
    name = Varchar(length=255, default="")
    from_version = Varchar(length=50, default="")
    to_version = Varchar(length=50, default="")
    state = Varchar(length=12, default=StepState.PENDING)
    message = Text(default="")
    finished_at = Timestamptz(null=True, default=None)
