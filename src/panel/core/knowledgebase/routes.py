"""Knowledgebase pages for everyone: categories, articles, search, and "Was this helpful?".

Reading is open to logged-out visitors too; members see the pages in the client
area's frame when the rules engine lets them read `knowledgebase:*` in the current
account. Only published articles are ever shown or found.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.authz.guard import PUBLIC
from panel.core.knowledgebase import search as kb_search
from panel.core.knowledgebase import services, votes
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

OBJ = "knowledgebase:*"


def reader_area(request: Request[Any, Any, Any]) -> str:
    """The client area's frame for members who may read the knowledgebase here, else the public one."""
    account_id = request.state.get("account_id")
    if account_id is not None and allowed(request, OBJ, "read", f"acct:{account_id}"):
        return "client"
    return "public"


def _visitor_token(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """The visitor cookie's token, and whether it is new (to be set on the response)."""
    token = request.cookies.get(votes.COOKIE, "")
    if request.state.get("user_id") is not None or (token and len(token) <= 64):
        return token, False
    return votes.new_visitor_token(), True


def _set_visitor_cookie(response: Response[Any], request: Request[Any, Any, Any], token: str) -> None:
    response.set_cookie(
        votes.COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=votes.COOKIE_DAYS * 86400,
        path="/knowledgebase",
    )


@get("/knowledgebase", authz=PUBLIC)
async def index(request: Request[Any, Any, Any]) -> Template:
    """Categories (with sub-categories) and how many articles each holds, and the search box."""
    tree = [c for c in await services.category_tree() if c.total]
    return await page(request, "knowledgebase/index.html", area=reader_area(request), categories=tree, q="")


@get("/knowledgebase/search", authz=PUBLIC)
async def search_page(request: Request[Any, Any, Any], q: FromQuery[str] = "", page_no: FromQuery[int] = 1) -> Template:
    """Published articles matching the words, best first, with the matching words marked."""
    size = kb_search.PAGE_SIZE
    found = await kb_search.search(q, size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "knowledgebase/search.html",
        area=reader_area(request),
        q=q[: kb_search.MAX_QUERY],
        found=found,
        page_url=lambda n: "/knowledgebase/search?" + urlencode({"q": q, "page_no": n}),
    )


@get("/knowledgebase/{category_slug:str}", authz=PUBLIC)
async def category_page(
    request: Request[Any, Any, Any], category_slug: FromPath[str], page_no: FromQuery[int] = 1
) -> Template:
    """A category's sub-categories and published articles, twenty a page."""
    category, parent, children = await services.category_by_slug(category_slug)
    size = services.PAGE_SIZE
    found = await services.category_articles(category.id, size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "knowledgebase/category.html",
        area=reader_area(request),
        category=category,
        parent=parent,
        children=[c for c in children if c.articles],
        found=found,
        q="",
        page_url=lambda n: f"/knowledgebase/{category.slug}?page_no={n}",
    )


@get("/knowledgebase/article/{slug:str}", authz=PUBLIC)
async def article_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    """A published article, its Markdown rendered safely, and "Was this helpful?"; counts the view."""
    article = await services.published_article(slug)
    await services.count_view(article.id)
    token, new = _visitor_token(request)
    voter = votes.voter_of(request.state.get("user_id"), token)
    tally = votes.Tally(article.helpful_yes, article.helpful_no, await votes.my_vote(article.id, voter))
    response = await page(
        request, "knowledgebase/article.html", area=reader_area(request), article=article, tally=tally, q=""
    )
    if new:
        _set_visitor_cookie(response, request, token)
    return response


@post("/knowledgebase/article/{slug:str}/vote", authz=PUBLIC)
async def vote(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    """Record "yes" or "no"; htmx swaps in the thanks, a plain form goes back to the article."""
    article = await services.published_article(slug)
    form = await request.form()
    answer = str(form.get("helpful") or "")
    if answer not in ("yes", "no"):
        raise ValidationFailed({"helpful": "Answer yes or no."})
    token, new = _visitor_token(request)
    voter = votes.voter_of(request.state.get("user_id"), token)
    assert voter is not None  # a user, or a visitor with a token (new or not)
    tally = await votes.vote(article.id, voter, answer == "yes")
    response: Response[Any]
    if request.headers.get("hx-request") == "true":
        response = Template("knowledgebase/_helpful.html", context={"article": article, "tally": tally})
    else:
        response = redirect(request, f"/knowledgebase/article/{article.slug}#helpful")
    if new:
        _set_visitor_cookie(response, request, token)
    return response


ROUTES = [index, search_page, category_page, article_page, vote]
