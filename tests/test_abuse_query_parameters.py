"""No query string, path segment or sign-in state makes either listener answer 500 (issue 9,
finding 11): every GET route of the partners' API, the staff API and the staff pages, asked
by whoever may open it (and by whoever may not), with whatever a client can put in a URL.
A value out of range is a 400 problem document on the APIs and a page in the viewer's
language on the staff pages.

Against the real gateway over TLS: the route list comes from the running applications, so
a route added later is covered without touching this test.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import yarl
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edges.server import build, open_listeners
from gateway.infra.config import DataDir, Settings
from gateway.staff import Passwords
from tests.conftest import RunningGateway, client_context
from tests.staff_web import csrf_of, enrol, signed_in

ROLES = ("liaison_officer", "compliance", "administrator")
LANGUAGES = {"liaison_officer": "fr", "compliance": "nl", "administrator": "de"}
KNOWN_KEYS = (
    "page",
    "after",
    "limit",
    "wait",
    "state",
    "next",
    "ended",
    "partner",
    "from",
    "to",
    "since",
    "until",
    "category",
    "rule",
    "outcome",
    "kind",
    "lang",
)


@dataclass(frozen=True)
class Route:
    listener: str  # "partners" or "staff"
    path: str  # a formatter: "/v1/review/{item_id}"


@dataclass
class Target:
    gateway: RunningGateway
    routes: list[Route]
    sessions: dict[str, aiohttp.ClientSession]
    log_stream: io.StringIO
    form_routes: list[Route] = field(default_factory=list)
    csrf: dict[str, str] = field(default_factory=dict)
    """Each page caller's session CSRF secret, for its form posts."""
    openers: dict[Route, list[str]] = field(default_factory=dict)
    """Per route without path parameters, the callers it answers 200 (they get as far as
    reading the query); a route with path parameters is asked by a caller drawn each time."""


def get_routes(app: web.Application, listener: str, method: str = "GET") -> list[Route]:
    routes = []
    for resource in app.router.resources():
        if not any(route.method == method for route in resource):
            continue
        info = resource.get_info()
        if "formatter" in info:
            routes.append(Route(listener, str(info["formatter"])))
        elif "prefix" in info:  # static files
            routes.append(Route(listener, str(info["prefix"]) + "/{filename}"))
        else:
            routes.append(Route(listener, str(info["path"])))
    return routes


@contextlib.asynccontextmanager
async def session(
    base_url: str, context: Any, **options: Any
) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=context)
    async with aiohttp.ClientSession(base_url=base_url, connector=connector, **options) as opened:
        yield opened


@pytest.fixture
async def target(
    layout: DataDir,
    log_stream: io.StringIO,
    cheap_passwords: Passwords,
    staff_token: Any,
) -> AsyncIterator[Target]:
    """The real gateway, its GET routes, and a client for each kind of caller: a partner, an
    officer's script with its API token, a person of each role signed in to the pages, and
    a stranger."""
    secrets = {
        role: await enrol(layout, login(role), role, cheap_passwords, language=LANGUAGES[role])
        for role in ROLES
    }
    token = await staff_token("t.script")
    built = await build(Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0))
    runners: list[web.AppRunner] = []
    try:
        url, staff_url = await open_listeners(built, "127.0.0.1", (0, 0), runners)
        gateway = RunningGateway(url, staff_url, layout, built.store, built.policy.policy.digest)
        async with contextlib.AsyncExitStack() as stack:
            staff_context = client_context(layout, None)
            sessions = {
                "partner": await stack.enter_async_context(
                    session(url, client_context(layout, "nl-pol-limburg"))
                ),
                "script": await stack.enter_async_context(
                    session(staff_url, staff_context, headers={"Authorization": f"Bearer {token}"})
                ),
                "stranger": await stack.enter_async_context(
                    session(staff_url, staff_context, cookie_jar=aiohttp.CookieJar(unsafe=True))
                ),
            }
            for role, secret in secrets.items():
                sessions[role] = await stack.enter_async_context(
                    signed_in(gateway, login(role), secret)
                )
            routes = get_routes(built.app, "partners") + get_routes(built.staff_app, "staff")
            target = Target(gateway, routes, sessions, log_stream)
            target.form_routes = [
                route
                for route in get_routes(built.staff_app, "staff", "POST")
                if route.path not in ("/logout", "/login") and not route.path.startswith("/v1/")
            ]
            for caller in ("stranger", *ROLES):
                async with sessions[caller].get("/login") as page:
                    target.csrf[caller] = csrf_of(await page.text())
            for route in routes:
                if "{" not in route.path:
                    target.openers[route] = [
                        caller
                        for caller in callers(route)
                        if (await ask(target, caller, route.path))[0] == 200
                    ]
            yield target
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def login(role: str) -> str:
    return "x." + role.replace("_", "-")


def callers(route: Route) -> list[str]:
    return ["partner"] if route.listener == "partners" else ["script", "stranger", *ROLES]


def escaped(raw: bytes) -> str:
    return quote(raw, safe="")


BOUNDARIES = ("0", "-1", str(2**31), str(2**53 + 1), str(2**63), str(2**64), "9" * 40, "1e999")
boundaries = st.sampled_from(BOUNDARIES)
values = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    boundaries,
    st.sampled_from(["", "0", "1", "-0", "1e999", "nan", "0x10", " 1", "١٢", "9" * 40]).map(
        lambda text: quote(text, safe="")
    ),
    st.text(max_size=30).map(lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")),
    st.binary(max_size=30).map(escaped),
)
other_keys = st.binary(min_size=1, max_size=10).map(escaped)


def long_poll_free(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """No ``wait`` that would make the inbox wait: those are valid, and only slow."""
    return [(k, "0" if k == "wait" and v.isdigit() and int(v) <= 60 else v) for k, v in pairs]


@st.composite
def request_to(draw: st.DrawFn, route: Route) -> str:
    """The raw, already percent-encoded path and query to ask ``route`` for: values for the
    query parameters the pages and APIs know, and others besides."""
    path = route.path
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        segment = draw(st.one_of(values, st.sampled_from(["x", "..", "%2F", "%2E%2E", "01a2"])))
        path = path[:start] + (segment or "x") + path[end + 1 :]
    known = [
        (key, draw(st.one_of(boundaries, values))) for key in KNOWN_KEYS if draw(st.booleans())
    ]
    pairs = long_poll_free(known + draw(st.lists(st.tuples(other_keys, values), max_size=2)))
    query = "&".join(f"{k}={v}" for k, v in draw(st.permutations(pairs)))
    return path + ("?" + query if query else "")


async def ask(target: Target, caller: str, raw: str) -> tuple[int, str, str]:
    client = target.sessions[caller]
    base = target.gateway.url if caller == "partner" else target.gateway.staff_url
    async with client.get(
        yarl.URL(base + raw, encoded=True),
        allow_redirects=False,
        headers={"Accept-Language": "nl"},
    ) as response:
        return response.status, response.content_type, await response.text()


def internal_errors(log_stream: io.StringIO, since: int) -> list[dict[str, Any]]:
    """What was logged as an internal error after position ``since`` of the log."""
    lines = [json.loads(line) for line in log_stream.getvalue()[since:].splitlines() if line]
    return [line for line in lines if line.get("event") == "internal_error"]


async def assert_no_server_error(target: Target, caller: str, raw: str) -> int:
    since = len(target.log_stream.getvalue())
    status, content_type, body = await ask(target, caller, raw)
    assert status < 500, body[:300]
    if raw.startswith("/v1/") and status >= 400:
        assert content_type == "application/problem+json"
    assert internal_errors(target.log_stream, since) == []
    return status


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_get_route_answers_500_to_any_query_or_path(
    target: Target, data: st.DataObject
) -> None:
    """Each example asks every GET route, as each caller that may open it (or, for a route
    with path parameters, as a caller drawn for it)."""
    for route in target.routes:
        chosen = target.openers.get(route) or [data.draw(st.sampled_from(callers(route)))]
        for caller in chosen:
            raw = data.draw(request_to(route), label=f"{caller} {route.path}")
            await assert_no_server_error(target, caller, raw)


@pytest.mark.parametrize("value", BOUNDARIES)
async def test_every_known_parameter_at_a_boundary_on_every_route(
    target: Target, value: str
) -> None:
    """Every query parameter any page or API reads, all at once at ``value``, on every GET
    route, as each caller that may open it."""
    query = "&".join(f"{key}={quote(value)}" for key in KNOWN_KEYS if key != "wait")
    for route, openers in target.openers.items():
        for caller in openers:
            await assert_no_server_error(target, caller, f"{route.path}?{query}&wait=0")


@pytest.mark.parametrize(
    "page", ["99999999999999999999", "0", "-1", "1e3", "x", str(2**63), str(10**9 + 1)]
)
async def test_an_audit_page_number_out_of_range_shows_the_first_page_saying_so(
    target: Target, page: str
) -> None:
    """The search page, in the viewer's language (Dutch), with the first page of results and
    a line saying there is no such page."""
    status, content_type, body = await ask(target, "compliance", f"/audit?page={page}")

    assert status == 200
    assert content_type == "text/html"
    assert 'lang="nl"' in body
    assert 'class="problem" role="alert"' in body
    assert "de eerste" in body


async def test_an_inbox_parameter_out_of_range_is_named_in_the_callers_language(
    target: Target,
) -> None:
    status, content_type, body = await ask(target, "partner", "/v1/inbox?limit=501")

    assert (status, content_type) == (400, "application/problem+json")
    problem = json.loads(body)
    assert problem["parameter"] == "limit"
    assert "1–500" in problem["detail"]
    assert "queryparameter" in problem["detail"].lower()


FORM_FIELDS = (
    "staff_id",
    "name",
    "role",
    "desk",
    "language",
    "password",
    "reason",
    "text:/summary",
    "shown:/summary",
    "format",
    "by",
    "identifier",
    "family_name",
    "date_of_birth",
    "lang",
    "back",
    "page",
    "partner",
    "since",
    "until",
    "kind",
)
SEGMENTS = (
    "x",
    "01a2",
    "%00",
    "..",
    "de-zoll-aachen",
    "suspend",
    "reactivate",
    "disable",
    "enable",
)
form_values = st.one_of(values, st.sampled_from(["x" * 20_000, "%00", "%FF%FE", "%ED%A0%80"]))
"""Percent-encoded, as a browser posts a form: any bytes, valid UTF-8 or not."""


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_staff_form_answers_500_to_any_fields(target: Target, data: st.DataObject) -> None:
    """Every form the staff pages take (sign-in and sign-out aside), posted with the session's
    CSRF secret by each person and a stranger, with whatever fields and values."""
    for route in target.form_routes:
        for caller in ("stranger", *ROLES):
            path = route.path
            while "{" in path:
                start, end = path.index("{"), path.index("}")
                segment = data.draw(st.sampled_from(SEGMENTS))
                path = path[:start] + segment + path[end + 1 :]
            fields = {
                name: data.draw(form_values, label=name)
                for name in FORM_FIELDS
                if data.draw(st.booleans())
            }
            form = "&".join(
                f"{quote(name, safe='')}={value}"
                for name, value in {"csrf": target.csrf[caller], **fields}.items()
            )
            since = len(target.log_stream.getvalue())
            async with target.sessions[caller].post(
                yarl.URL(target.gateway.staff_url + path, encoded=True),
                data=form.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                allow_redirects=False,
            ) as response:
                body = await response.read()
            assert response.status < 500, (caller, path, body[:300])
            assert internal_errors(target.log_stream, since) == []
