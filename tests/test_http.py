"""What both listeners share: an aiohttp error answer becomes the Euregate error it stands for."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gateway.edges.http import error_from_http
from gateway.infra.errors import (
    BodyTooLarge,
    ClientError,
    EuregateError,
    InternalError,
    MethodNotAllowed,
    NotFound,
)


@pytest.mark.parametrize(
    ("raised", "expected", "status"),
    [
        (web.HTTPNotFound(), NotFound, 404),
        (web.HTTPMethodNotAllowed("PATCH", ["GET", "POST"]), MethodNotAllowed, 405),
        (web.HTTPRequestEntityTooLarge(max_size=1024, actual_size=2048), BodyTooLarge, 413),
        (web.HTTPBadRequest(), ClientError, 400),
        (web.HTTPUnsupportedMediaType(), ClientError, 400),
        (web.HTTPInternalServerError(), InternalError, 500),
        (web.HTTPBadGateway(), InternalError, 500),
    ],
)
def test_an_aiohttp_error_becomes_the_error_it_stands_for(
    raised: web.HTTPException, expected: type[EuregateError], status: int
) -> None:
    error = error_from_http(raised, make_mocked_request("PATCH", "/v1/x"), body_limit=1024)

    assert type(error) is expected
    assert error.status == status
    if isinstance(error, MethodNotAllowed):
        assert error.params == {"method": "PATCH", "allowed": ("GET", "POST")}
    if isinstance(error, BodyTooLarge):
        assert error.params == {"limit": 1024}


def test_a_body_too_large_without_a_limit_to_name_is_a_bad_request() -> None:
    raised = web.HTTPRequestEntityTooLarge(max_size=1024, actual_size=2048)

    error = error_from_http(raised, make_mocked_request("POST", "/login"))

    assert type(error) is ClientError
    assert error.status == 400
