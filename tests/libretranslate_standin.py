"""A stand-in LibreTranslate server: LibreTranslate's HTTP API without its translation models.

LibreTranslate itself cannot run here (it downloads its Argos models on first start), so this
small aiohttp server speaks the same API, as LibreTranslate's own code and tests define it:

- ``GET /languages``: ``[{"code": "nl", "name": "Dutch", "targets": ["de", "en", "fr"]}, ...]``;
- ``POST /translate`` with a JSON or form body ``q`` (a string or a list), ``source``,
  ``target``, ``format`` (``text`` or ``html``) and ``api_key``: ``{"translatedText": ...}``;
- errors as ``{"error": ...}``: 400 for a missing parameter, an unsupported language or format,
  or a missing key; 403 ``Invalid API key``; 500 when told to fail.

Its "translation" is the text tagged with the pair, ``[nl>fr] De verdachte ...``, so a test
sees exactly what was sent. ``mode`` makes it fail (500), hang until closed, or redirect
(307 to ``redirect_to``); ``fail_next`` fails only the next so many requests. Every request
body it receives is kept in ``received``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from aiohttp import web

LANGUAGES = {"nl": "Dutch", "fr": "French", "de": "German", "en": "English"}
Mode = Literal["ok", "fail", "hang", "redirect"]


def tagged(text: str, source: str, target: str) -> str:
    """What the stand-in answers for ``text``."""
    return f"[{source}>{target}] {text}"


@dataclass
class LibreTranslateStandIn:
    api_key: str | None = None
    languages: dict[str, str] = field(default_factory=lambda: dict(LANGUAGES))
    mode: Mode = "ok"
    fail_next: int = 0
    redirect_to: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def translations_asked(self) -> list[Any]:
        return [body.get("q") for body in self.received if "q" in body]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/languages", self._languages)
        app.router.add_post("/translate", self._translate)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "hang":
            await self._released.wait()
        if self.mode == "redirect":
            raise web.HTTPTemporaryRedirect(self.redirect_to)
        if self.mode == "fail" or self.fail_next > 0:
            self.fail_next = max(0, self.fail_next - 1)
            return web.json_response({"error": "Cannot translate text: engine failure"}, status=500)
        return None

    async def _languages(self, request: web.Request) -> web.Response:
        self.received.append({})
        if (trouble := await self._misbehave()) is not None:
            return trouble
        return web.json_response(
            [
                {"code": code, "name": name, "targets": sorted(set(self.languages) - {code})}
                for code, name in self.languages.items()
            ]
        )

    def _check_key(self, given: object) -> web.Response | None:
        if self.api_key is None:
            return None
        if given and given != self.api_key:
            return _error(403, "Invalid API key")
        if not given:
            return _error(400, "Please contact the server operator to get an API key")
        return None

    async def _translate(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                return _error(400, "Invalid JSON format")
        else:
            body = dict(await request.post())
        self.received.append(body)
        if (trouble := await self._misbehave()) is not None:
            return trouble
        if (refused := self._check_key(body.get("api_key"))) is not None:
            return refused
        for name in ("q", "source", "target"):
            if not body.get(name):
                return _error(400, f"Invalid request: missing {name} parameter")
        for name in ("source", "target"):
            if body[name] not in self.languages:
                return _error(400, f"{body[name]} is not supported")
        text_format = body.get("format", "text")
        if text_format not in ("text", "html"):
            return _error(400, f"{text_format} format is not supported")
        q, source, target = body["q"], body["source"], body["target"]
        if isinstance(q, list):
            return web.json_response({"translatedText": [tagged(t, source, target) for t in q]})
        return web.json_response({"translatedText": tagged(q, source, target)})


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@pytest.fixture
async def standin() -> AsyncIterator[LibreTranslateStandIn]:
    """A stand-in LibreTranslate without an API key, serving on a free loopback port."""
    server = LibreTranslateStandIn()
    await server.start()
    yield server
    await server.close()
