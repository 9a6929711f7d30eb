"""Invitations to join an account and offers of its ownership.

Memberships themselves are core's `panel_membership` rows; what a member may do is
grants in the rules engine. These tables hold only what is waiting for an answer.
"""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User


class Status:
    """Values of `Invitation.status` and `OwnershipOffer.status`."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Invitation(Table, tablename="panel_members_invitation"):
    """An email address invited into an account with a set of permissions.

    `token_id` is the single-use link (`panel_action_token`) of the last email sent;
    resending replaces it. `permissions` is a JSON list of permission names.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254, index=True)
    permissions = JSON(default="[]")
    invited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    token_id = Integer(null=True, default=None, index=True)
    status = Varchar(length=20, default=Status.PENDING, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(default=TimestamptzNow())
    accepted_at = Timestamptz(null=True, default=None)
    accepted_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    closed_at = Timestamptz(null=True, default=None)


class OwnershipOffer(Table, tablename="panel_members_ownership_offer"):
    """The owner offers the account to another member, who accepts or declines.

    At most one offer per account is pending (a new offer cancels the previous one).
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    from_user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    to_user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20, default=Status.PENDING, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
