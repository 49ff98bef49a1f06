"""Logging in, sessions, roles and CSRF, in one place.

Sessions are Starlette's signed cookies (HttpOnly, SameSite=Strict) holding the
user name and a per-session CSRF token; every form carries the token and every
state-changing request is refused without it (a synchronizer token: the
cookie alone is never enough). Roles are checked by `require(action)`.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..store.accounts import ROLE_CN, User, get_user

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def current_user(request: Request) -> User | None:
    name = request.session.get("user")
    if not name:
        return None
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = get_user(request.app.state.store, name)
    if user is None:                       # the account was removed: the session ends
        request.session.clear()
    request.state.user = user
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose form field or header does not carry the session's token."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "表单已失效或缺少安全令牌（CSRF），请刷新页面后重试")


def login(request: Request, user: User) -> None:
    request.session.clear()                # a new session on login: no fixation
    request.session["user"] = user.name
    csrf_token(request)


def logout(request: Request) -> None:
    request.session.clear()


def permit(request: Request, action: str, refusal: str) -> User:
    """The logged-in user, when their role allows `action` (a page anyone may view whose form only some
    may post); a 403 with `refusal` otherwise."""
    user = current_user(request)
    if user is None or not user.may(action):
        raise HTTPException(403, refusal)
    return user


Handler = Callable[[Request], Awaitable[Response]]


def require(action: str = "view") -> Callable[[Handler], Handler]:
    """Only a logged-in user whose role allows `action`; POSTs also need the CSRF token.

    Without a session a page redirects to /login and a JSON twin answers 401.
    """
    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                if request.url.path.endswith(".json") or request.method != "GET":
                    raise HTTPException(401, "请先登录")
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if request.method not in ("GET", "HEAD"):
                await check_csrf(request)
            if not user.may(action):
                raise HTTPException(403, f"{ROLE_CN.get(user.role, user.role)}（{user.name}）无权执行此操作")
            return await handler(request)
        return guarded
    return wrap
