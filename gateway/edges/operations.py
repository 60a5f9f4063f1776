"""The operations listener's address: where monitoring asks whether the gateway lives.

It is a listener of its own, apart from the partners' and the staff listeners, on loopback
and in plain HTTP. The container image's ``HEALTHCHECK`` and ``deploy/compose.yaml`` ask
:data:`HEALTH_PATH` on it (:func:`health_url`); nothing answers there yet, so until the
listener is served a container built from ``deploy/Containerfile`` reports itself unhealthy.
"""

from __future__ import annotations

from typing import Final

OPERATIONS_HOST: Final = "127.0.0.1"
OPERATIONS_PORT: Final = 9443
HEALTH_PATH: Final = "/healthz"


def health_url(host: str = OPERATIONS_HOST, port: int = OPERATIONS_PORT) -> str:
    """Where a health check asks whether the process lives."""
    return f"http://{host}:{port}{HEALTH_PATH}"
