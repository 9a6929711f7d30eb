"""Downloads: files staff offer to clients, by category, optionally only to holders of some products.

A file is one of three kinds: `public` (anyone, logged out too), for members of any
account (neither public nor restricted), or `restricted` to accounts with an active
service of one of its products (`DownloadProduct` rows; `restricted` mirrors whether
any exist, so the list query needs no extra join for the other kinds).
"""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User
from panel.core.catalog.tables import Product


class DownloadCategory(Table, tablename="panel_download_category"):
    """A heading of the downloads page."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=120)
    description = Text(default="")
    sort = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class DownloadFile(Table, tablename="panel_download_file"):
    """One file offered for download; the bytes live in the uploads store (`panel.core.uploads`)."""

    id: Serial  # added by Piccolo; declared for type checkers

    category = ForeignKey(references=DownloadCategory, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    description = Text(default="")  # plain text, shown under the title
    storage_key = Varchar(length=200)
    filename = Varchar(length=255)
    content_type = Varchar(length=150, default="application/octet-stream")
    size = BigInt(default=0)
    sha256 = Varchar(length=64, default="")
    public = Boolean(default=False)
    restricted = Boolean(default=False)
    downloads = BigInt(default=0)
    author = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DownloadProduct(Table, tablename="panel_download_product"):
    """File `file` is given to accounts with an active service of `product`."""

    id: Serial  # added by Piccolo; declared for type checkers

    file = ForeignKey(references=DownloadFile, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
