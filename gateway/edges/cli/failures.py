"""What went wrong in a command, as one sentence in the user's language: never a traceback for
a person's mistake (a name, a file, a port, a gateway that is not running).

:func:`explained` turns whatever a command raised into a typed error of
:mod:`gateway.infra.errors`; ``euregate --debug`` shows the traceback instead.
"""

from __future__ import annotations

import difflib
import errno
import ssl
from collections.abc import Iterable
from typing import Final

import aiohttp
from euregate_client import Unreachable

from gateway.infra.errors import (
    CommandFailed,
    EuregateError,
    FileUnreadable,
    GatewayUnreachable,
    UnknownPartnerName,
)
from gateway.infra.i18n import N_

REFUSED: Final = N_("connection refused")
HANDSHAKE: Final = N_("the TLS handshake failed")
NO_NAME: Final = N_("its name does not resolve")
TOO_SLOW: Final = N_("no answer in time")
FAILED: Final = N_("the connection failed")

_FILE_CAUSES: Final = {
    errno.ENOENT: "missing",
    errno.ENOTDIR: "missing",
    errno.EACCES: "forbidden",
    errno.EPERM: "forbidden",
    errno.EISDIR: "folder",
}


def explained(error: BaseException) -> EuregateError:
    """``error`` as the typed error a person is told about."""
    if isinstance(error, EuregateError):
        return error
    if isinstance(error, Unreachable):
        return GatewayUnreachable(url=error.url, reason=_why_unreachable(error.__cause__))
    if isinstance(error, OSError) and error.filename is not None:
        return FileUnreadable(
            path=str(error.filename),
            cause=_FILE_CAUSES.get(error.errno or 0, "other"),
            reason=error.strerror or type(error).__name__,
        )
    return CommandFailed(error=type(error).__name__)


def _why_unreachable(failure: BaseException | None) -> str:
    if isinstance(failure, aiohttp.ClientConnectorDNSError):
        return NO_NAME
    if isinstance(failure, aiohttp.ClientSSLError | ssl.SSLError):
        return HANDSHAKE
    if isinstance(failure, aiohttp.ClientConnectorError):
        return REFUSED if isinstance(failure.os_error, ConnectionRefusedError) else FAILED
    if isinstance(failure, TimeoutError | aiohttp.ServerTimeoutError):
        return TOO_SLOW
    return FAILED


def unknown_partner(partner: str, data_dir: str, known: Iterable[str]) -> UnknownPartnerName:
    """``--as partner`` where the data directory holds only ``known``: the likeliest meant."""
    names = sorted(known)
    close = difflib.get_close_matches(partner, names, n=1, cutoff=0.6)
    return UnknownPartnerName(
        partner=partner,
        data_dir=data_dir,
        known=", ".join(names) or "-",
        suggestion=close[0] if close else "",
    )
