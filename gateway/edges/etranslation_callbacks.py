"""eTranslation's callbacks on the staff listener: the service posts each translation (or its
failure) to the job's own address, ``/v1/etranslation/{job}/{token}/done`` (or ``/error``).

The service has no API token, so these paths are the only ones of ``/v1/`` that the staff
listener answers without one: the job's secret token in the address is the credential,
compared in constant time with the digest kept of it (:mod:`gateway.translate.etranslation`).
A wrong token counts against the address like a refused API token
(:mod:`gateway.edges.refusals`). The body is a form, no larger than the listener's limit.
What arrives is kept for the liaison desk and nothing more (:meth:`EtranslationBackend.receive`).
The request's log line shows the path with ``<token>`` in place of the token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from aiohttp import web

from gateway.edges.http import ACTOR, LOGGED_PATH, MAX_BODY, read_form
from gateway.edges.refusals import REFUSALS
from gateway.infra.errors import BodyTooLarge, NotFound, TranslationCallbackRefused
from gateway.translate.etranslation import (
    CALLBACK_PATH,
    Delivered,
    Failed,
    delivered_from,
    failed_from,
)
from gateway.translate.etranslation_backend import EtranslationBackend

ETRANSLATION = web.AppKey("etranslation", EtranslationBackend)
CALLBACK_PREFIX: Final = CALLBACK_PATH + "/"


def add_etranslation_callbacks(app: web.Application, backend: EtranslationBackend | None) -> None:
    """Take ``backend``'s callbacks on the staff listener ``app``; without one (eTranslation
    is not attached), every callback address is answered ``404``."""
    if backend is not None:
        app[ETRANSLATION] = backend
    app.router.add_post(CALLBACK_PATH + "/{job_id}/{token}/done", post_translation_done)
    app.router.add_post(CALLBACK_PATH + "/{job_id}/{token}/error", post_translation_error)


def is_callback(path: str) -> bool:
    """Whether ``path`` is one of the callbacks' addresses, which need no API token."""
    return path.startswith(CALLBACK_PREFIX)


async def post_translation_done(request: web.Request) -> web.Response:
    return await _received(request, delivered_from)


async def post_translation_error(request: web.Request) -> web.Response:
    return await _received(request, failed_from)


async def _received(
    request: web.Request, parse: Callable[[Mapping[str, str]], Delivered | Failed]
) -> web.Response:
    request[ACTOR] = "etranslation"
    job_id, token = request.match_info["job_id"], request.match_info["token"]
    request[LOGGED_PATH] = request.path.replace(token, "<token>")
    backend = request.app.get(ETRANSLATION)
    if backend is None:
        raise NotFound()
    answer = parse(await _form(request))
    refusals = request.app[REFUSALS]
    address = request.remote or ""
    async with refusals.screening(address):
        try:
            await backend.receive(job_id, token, answer)
        except TranslationCallbackRefused:
            await refusals.refused(address, "etranslation callback token")
            raise
    return web.Response(status=204)


async def _form(request: web.Request) -> dict[str, str]:
    """The posted form's text fields; files are not among what the service sends."""
    limit = request.app[MAX_BODY]
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit=limit)
    try:
        form = await read_form(request)
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyTooLarge(limit=limit) from exc
    return {name: value for name, value in form.items() if isinstance(value, str)}
