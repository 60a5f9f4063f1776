"""A person's browser on the staff pages, reduced to what the abuse tests look at, over real
TLS against the real staff listener: the session cookie kept by hand (so a test can copy it,
replay it or plant one), the CSRF secret of the last page drawn, redirects not followed, and
optionally a client address of its own on the loopback network (127.0.0.0/8)."""

from __future__ import annotations

import html
import re
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import aiohttp

from gateway.edges.web.sessions import COOKIE_NAME

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    location: str

    def shows(self, text: str) -> bool:
        return html.escape(text, quote=False) in self.text or text in self.text


class StaffBrowser:
    def __init__(
        self,
        base_url: str,
        ssl_context: ssl.SSLContext,
        *,
        address: str | None = None,
        language: str = "en",
        cookie: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.cookie = cookie
        self.csrf = ""
        connector = aiohttp.TCPConnector(
            ssl=ssl_context, local_addr=(address, 0) if address else None, force_close=True
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"Accept-Language": language},
            timeout=aiohttp.ClientTimeout(total=60),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.close()

    async def get(self, path: str) -> Answer:
        return await self._request("GET", path, None)

    async def post(self, path: str, form: dict[str, str], *, csrf: str | None = None) -> Answer:
        """A form post with the CSRF secret of the last page drawn (or ``csrf``)."""
        return await self._request(
            "POST", path, {"csrf": self.csrf if csrf is None else csrf, **form}
        )

    async def sign_in(self, staff_id: str, password: str, code: str) -> Answer:
        await self.get("/login")
        return await self.post(
            "/login", {"staff_id": staff_id, "password": password, "code": code, "next": "/"}
        )

    async def sign_out(self) -> Answer:
        await self.page("/")
        return await self.post("/logout", {})

    async def page(self, path: str) -> Answer:
        """A page, following one redirect (the start page sends an officer to the queue)."""
        answer = await self.get(path)
        return await self.get(answer.location) if answer.status == 303 else answer

    async def signed_in(self) -> bool:
        """Whether the start page opens for this browser (rather than sending it to sign in)."""
        answer = await self.get("/")
        return answer.status in (200, 303) and not answer.location.startswith("/login")

    async def _request(self, method: str, path: str, form: dict[str, str] | None) -> Answer:
        headers = {"Cookie": f"{COOKIE_NAME}={self.cookie}"} if self.cookie else {}
        async with self._session.request(
            method, self.base_url + path, data=form, headers=headers, allow_redirects=False
        ) as response:
            text = await response.text()
            morsel = response.cookies.get(COOKIE_NAME)
            if morsel is not None:
                self.cookie = morsel.value or None
            found = CSRF_FIELD.search(text)
            if found:
                self.csrf = html.unescape(found.group(1))
            return Answer(response.status, text, response.headers.get("Location", ""))
