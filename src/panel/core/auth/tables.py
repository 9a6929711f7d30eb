"""Users, their login sessions and API tokens."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="panel_user"):
    """One person: one email, one password, any number of accounts."""

    id: Serial  # added by Piccolo; declared for type checkers

    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=200, default="")
    password_hash = Text(default="")
    is_active = Boolean(default=True)
    language = Varchar(length=10, default="en")
    last_account_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    image = Varchar(length=80, default="")  # the profile image: "<upload key>.<png|jpg|webp>", "" for none


class Session(Table, tablename="panel_session"):
    """A server-side login session; the cookie holds a token whose hash is stored here."""

    id: Serial  # added by Piccolo; declared for type checkers

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    account_id = Integer(null=True, default=None)
    impersonator_id = Integer(null=True, default=None)
    partner_account_id = Integer(null=True, default=None)
    """Set while a partner admin manages `account_id` for this partner account (the rules engine's `r.org`)."""
    data = JSON(default="{}")
    ip = Varchar(length=45, default="")
    user_agent = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class ApiToken(Table, tablename="panel_api_token"):
    """A bearer token for the JSON API, acting as its user."""

    id: Serial  # added by Piccolo; declared for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class ActionToken(Table, tablename="panel_action_token"):
    """A single-use token behind an emailed link (invitation, password reset, email change).

    Only the token's hash is stored; `payload` carries what the action needs.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    purpose = Varchar(length=40, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    user_id = Integer(null=True, default=None, index=True)
    account_id = Integer(null=True, default=None, index=True)
    email = Varchar(length=254, default="", index=True)
    payload = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
