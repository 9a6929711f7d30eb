"""Download pages for readers: the list of files they may get, and the file itself.

Both are open to logged-out visitors, who see and get only public files. A logged-in
user working in an account is a member there when the rules engine lets them read
`download:*` in it; members also get files for clients, and restricted files when the
account has an active service of one of the file's products. Any other file id
answers 404 (a logged-out visitor is asked to log in instead).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core import uploads
from panel.core.authz.guard import PUBLIC
from panel.core.downloads import services
from panel.core.downloads.config import AREA
from panel.core.web.pages import allowed, page
from panel.errors import NotFound

OBJ = "download:*"


def reader_of(request: Request[Any, Any, Any]) -> services.Reader:
    """The current account and whether the rules engine lets the user read downloads there."""
    account_id = request.state.get("account_id")
    if request.state.get("user_id") is None or account_id is None:
        return services.VISITOR
    return services.Reader(account_id, allowed(request, OBJ, "read", f"acct:{account_id}"))


@get("/downloads", authz=PUBLIC)
async def download_list(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """The files this reader may get, by category, fifty a page."""
    reader = reader_of(request)
    size = services.PAGE_SIZE
    found = await services.visible_files(reader, size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "downloads/list.html",
        area="client" if reader.member else "public",
        found=found,
        logged_in=request.state.get("user_id") is not None,
        page_url=lambda n: f"/downloads?page_no={n}",
    )


@get("/downloads/{file_id:int}/file", authz=PUBLIC)
async def download_file(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Response[Any]:
    """The file as an attachment, counted; 404 unless this reader may get it."""
    try:
        found = await services.visible_file(reader_of(request), file_id)
    except NotFound:
        if request.state.get("user_id") is None:
            raise NotAuthorizedException("Log in to download this file.") from None
        raise
    response = uploads.file_response(AREA, found.stored(), inline=False)
    await services.count_download(found.id)
    return response


ROUTES = [download_list, download_file]
