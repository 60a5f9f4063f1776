"""How the machine engines' HTTP clients retry: a bounded number of attempts with exponential
backoff (tenacity), only for the failures that may pass, the last one raised as it was."""

from __future__ import annotations

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential


def bounded_retries(
    *, attempts: int, backoff: float, transient: type[BaseException]
) -> AsyncRetrying:
    """Up to ``attempts`` tries, waiting ``backoff`` × 2ⁿ seconds between them, of a call
    that raised ``transient``; anything else, and the last failure, is raised at once."""
    return AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff),
        retry=retry_if_exception_type(transient),
        reraise=True,
    )
