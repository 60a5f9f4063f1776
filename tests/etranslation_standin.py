"""A stand-in eTranslation service: the European Commission's API, without its engines.

eTranslation cannot be reached from here (no network, and its credentials are issued to
public administrations only), so this small aiohttp server speaks its API as the service's
documentation describes it:

- ``POST /etranslation/si/translate`` with a JSON body (``priority``, ``externalReference``,
  ``callerInformation`` with ``application`` and ``username``, ``sourceLanguage``,
  ``targetLanguages``, ``domain``, ``requesterCallback``, ``errorCallback``,
  ``textToTranslate``), behind HTTP Digest authentication (RFC 7616, MD5 with ``qop=auth``, as
  the service asks): a request without credentials, or with a wrong password, is answered
  ``401`` with a fresh challenge;
- the answer is the request id, a positive number as text; a request the service refuses is
  answered with a negative one (``-20001`` for a source language it does not know, ``-20003``
  for a target);
- after ``delay`` seconds (or once ``hold`` is set, when the test holds the callbacks) it POSTs
  the translation to ``requesterCallback`` as a form (``request-id``, ``target-language``,
  ``translated-text``, ``external-reference``), or, in ``fail`` mode, the failure to
  ``errorCallback`` (``request-id``, ``target-languages``, ``error-code``, ``error-message``,
  ``external-reference``).

Its "translation" is the text tagged with the pair, ``[NL>FR] De verdachte ...``. ``mode``
``hang`` keeps each request waiting until the stand-in stops. ``transcript`` records every
exchange without the texts: what a log of the round trip may show.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

REALM = "eTranslation"
PATH = "/etranslation/si/translate"
LANGUAGES = frozenset({"NL", "FR", "DE", "EN"})
Mode = Literal["ok", "fail", "hang"]


def tagged(text: str, source: str, target: str) -> str:
    """What the stand-in translates ``text`` into."""
    return f"[{source}>{target}] {text}"


def _md5(text: str) -> str:
    # MD5 is what HTTP Digest's default algorithm names (RFC 7616); the stand-in must speak it.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass
class EtranslationStandIn:
    application: str = "euregate-test"
    password: str = "stand-in password"
    callback_context: ssl.SSLContext | None = None
    delay: float = 0.05
    mode: Mode = "ok"
    hold: asyncio.Event | None = None
    redirect_to: str = ""
    """When set, every authorised request is redirected there (307)."""
    url: str = ""
    attempts: int = 0
    """Requests that passed the Digest check."""
    received: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(41_000_001))
    _nonces: set[str] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)
    _answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(PATH, self._translate)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}{PATH}"
        return self.url

    async def stop(self) -> None:
        self._stopped.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def callbacks_sent(self, count: int) -> None:
        """Wait until ``count`` callbacks have been answered by the gateway."""
        while len(self.callbacks) < count:
            self._answered.clear()
            await self._answered.wait()

    # --- the API -------------------------------------------------------------------------

    async def _translate(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            self.transcript.append(f"-> POST {PATH} (no valid Digest credentials)")
            self.transcript.append(f"<- 401 Digest challenge (realm {REALM})")
            return self._challenge()
        self.attempts += 1
        if self.redirect_to:
            self.transcript.append(f"<- 307 to {self.redirect_to}")
            raise web.HTTPTemporaryRedirect(self.redirect_to)
        if self.mode == "hang":
            await self._stopped.wait()
        body = await request.json()
        self.received.append(body)
        self.transcript.append("-> POST " + PATH + " " + json.dumps(_without_text(body)))
        source = str(body.get("sourceLanguage", ""))
        targets = body.get("targetLanguages", [])
        if source not in LANGUAGES:
            return self._answer(-20001)
        if not targets or not set(targets) <= LANGUAGES:
            return self._answer(-20003)
        request_id = next(self._ids)
        task = asyncio.create_task(self._call_back(request_id, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self._answer(request_id)

    def _answer(self, request_id: int) -> web.Response:
        self.transcript.append(f"<- 200 {request_id}")
        return web.Response(text=str(request_id), content_type="application/json")

    def _challenge(self) -> web.Response:
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'
        return web.Response(status=401, headers={"WWW-Authenticate": challenge})

    def _authorised(self, request: web.Request) -> bool:
        """Whether the request answers one of our challenges with the right password."""
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "digest":
            return False
        given = _parameters(rest)
        if given.get("username") != self.application or given.get("nonce") not in self._nonces:
            return False
        ha1 = _md5(f"{self.application}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{given.get('uri', '')}")
        parts = (ha1, given.get("nonce"), given.get("nc"), given.get("cnonce"), "auth", ha2)
        expected = _md5(":".join(str(part) for part in parts))
        return secrets.compare_digest(expected, given.get("response", ""))

    async def _call_back(self, request_id: int, body: dict[str, Any]) -> None:
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(self.delay)
        reference = str(body["externalReference"])
        (target,) = body["targetLanguages"]
        if self.mode == "fail":
            url = str(body["errorCallback"])
            form = {
                "request-id": str(request_id),
                "target-languages": target,
                "error-code": "-50004",
                "error-message": "the engine for this language pair is down",
                "external-reference": reference,
            }
        else:
            url = str(body["requesterCallback"])
            text = tagged(str(body["textToTranslate"]), body["sourceLanguage"], target)
            form = {
                "request-id": str(request_id),
                "target-language": target,
                "translated-text": text,
                "external-reference": reference,
            }
        status = await self.post_form(url, form)
        shown = {k: ("..." if k == "translated-text" else v) for k, v in form.items()}
        self.transcript.append(f"-> POST {_path_of(url)} {json.dumps(shown)}")
        self.transcript.append(f"<- {status}")
        self.callbacks.append((url, status))
        self._answered.set()

    async def post_form(self, url: str, form: dict[str, str]) -> int:
        """POST ``form`` to ``url`` as the service posts its callbacks; the status answered."""
        connector = aiohttp.TCPConnector(ssl=self.callback_context or True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.post(url, data=form) as response,
        ):
            await response.read()
            return response.status


def _parameters(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        found[name.strip()] = value.strip().strip('"')
    return found


def _without_text(body: dict[str, Any]) -> dict[str, Any]:
    """The request as a transcript shows it: the text, the callbacks' tokens left out."""
    shown = dict(body)
    shown["textToTranslate"] = f"<{len(str(body.get('textToTranslate', '')))} characters>"
    for name in ("requesterCallback", "errorCallback"):
        if name in shown:
            shown[name] = _path_of(str(shown[name]))
    return shown


def _path_of(url: str) -> str:
    """A callback's address with its token hidden."""
    head, _, tail = url.rpartition("/")
    base, _, _token = head.rpartition("/")
    return f"{base}/<token>/{tail}"
