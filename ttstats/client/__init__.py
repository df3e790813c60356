"""Fetching Performance Reports from the API (the ``client`` layer: bytes, not parsed).

:class:`ReportRequest` builds exactly the documented request; :func:`fetch_report` sends it
safely and returns the bytes. :func:`ttstats.read_remote` and :func:`ttstats.fetch_pair`
hand them to the parser. Sending needs httpx: ``pip install "ttstats[fetch]"``.
"""

from ._fetch import (
    DEFAULT_BACKOFF,
    DEFAULT_LIMITER,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_BASE_URL,
    NO_HTTPX,
    endpoint,
    fetch_report,
    require_httpx,
)
from ._limit import REQUESTS_PER_MINUTE, RateLimiter
from ._message import Message, find_message
from ._request import (
    ALL_SEGMENTS,
    DEFAULT_WIRE,
    ENV_CLIENT,
    ENV_EMAIL,
    ENV_PASSWORD,
    RESOLUTIONS,
    TYPES,
    VERSIONS,
    ReportRequest,
    WireNames,
    redact,
)

__all__ = [
    "ALL_SEGMENTS",
    "DEFAULT_BACKOFF",
    "DEFAULT_LIMITER",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WIRE",
    "ENV_BASE_URL",
    "ENV_CLIENT",
    "ENV_EMAIL",
    "ENV_PASSWORD",
    "NO_HTTPX",
    "REQUESTS_PER_MINUTE",
    "RESOLUTIONS",
    "TYPES",
    "VERSIONS",
    "Message",
    "RateLimiter",
    "ReportRequest",
    "WireNames",
    "endpoint",
    "fetch_report",
    "find_message",
    "redact",
    "require_httpx",
]
