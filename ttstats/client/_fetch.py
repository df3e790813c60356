"""``fetch_report``: send a :class:`ReportRequest` safely and return the bytes of the answer.

HTTPS only (unless the caller allows plain HTTP), timeouts, retries with exponential backoff
on connection errors and 5xx answers (never on 4xx), the documented throttle of 50 requests
per minute kept on the client side, and a ``<message>`` answer raised as
:class:`~ttstats.TTApiError`. The password never reaches a log record or an exception: the
URL is shown with ``password=***``, and the records of the HTTP library are redacted while a
request runs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .._errors import FetchError, FetchTimeoutError, TTApiError, TTStatsError
from ._limit import RateLimiter
from ._message import MAX_MESSAGE, find_message
from ._request import ReportRequest

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("ttstats.client")

#: The environment variable read when ``base_url`` is not given.
ENV_BASE_URL = "TT_BASE_URL"
#: The path of the API below the base URL (``https://<host>/api?...``).
API_PATH = "/api"
#: Seconds to wait for connecting, for each read and each write (``fetch_report(timeout=)``).
DEFAULT_TIMEOUT = 60.0
#: Retries after the first attempt (``fetch_report(retries=)``).
DEFAULT_RETRIES = 3
#: The first retry waits this long, each further one twice as long as the one before.
DEFAULT_BACKOFF = 1.0
#: A ``Retry-After`` longer than this (seconds) is not waited for: the error is raised.
MAX_RETRY_AFTER = 300.0
#: Largest answer accepted, in bytes (a year of hourly samples in all segments is far less).
MAX_BYTES = 4 * 2**30
#: Seconds one attempt may take in all, however steadily a slow server trickles bytes.
DEADLINE = 3600.0
#: What to install when httpx is missing.
NO_HTTPX = (
    'fetching reports needs httpx, an optional dependency: pip install "ttstats[fetch]" '
    '(from a checkout: pip install ".[fetch]")'
)
#: The rate limiter shared by every :func:`fetch_report` call that is given none.
DEFAULT_LIMITER = RateLimiter()

# the loggers of httpx and httpcore; their records hold the request URL (and so the password)
_LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


def _user_agent() -> str:
    try:
        return f"ttstats/{metadata.version('ttstats')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "ttstats"


def endpoint(base_url: str | None = None, *, allow_http: bool = False) -> str:
    """The API endpoint for ``base_url`` (default: the ``TT_BASE_URL`` environment variable).

    ``base_url`` is the address of the service, ``https://<host>``; ``/api`` is appended
    unless its path already ends in ``/api``, so the full endpoint is accepted as well.

    Raises
    ------
    ValueError
        No address is given or set; the scheme is not ``https`` (``http`` needs
        ``allow_http=True``); the address has no host, or carries credentials, a query or a
        fragment.

    Examples
    --------
    >>> endpoint("https://tt.example.com")
    'https://tt.example.com/api'
    >>> endpoint("https://tt.example.com/api/")
    'https://tt.example.com/api'
    >>> endpoint("http://127.0.0.1:8080", allow_http=True)
    'http://127.0.0.1:8080/api'
    """
    if not isinstance(allow_http, bool):  # "false" is truthy: only True may open plain HTTP
        raise TypeError(f"allow_http must be True or False, not {allow_http!r}")
    if base_url is None:
        base_url = os.environ.get(ENV_BASE_URL, "")
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, not {type(base_url).__name__}")
    if not base_url.strip():
        raise ValueError(
            f"no API address: pass base_url (--base-url), e.g. https://<host>, or set {ENV_BASE_URL}"
        )
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http" and not allow_http:
        raise ValueError(
            "plain HTTP would send the password in clear text: use an https:// address "
            "(allow_http=True allows http://, e.g. for a local test server)"
        )
    if scheme not in ("http", "https"):
        raise ValueError(f"the API address must start with https://, not {parts.scheme!r}")
    if "@" in parts.netloc:
        raise ValueError("the API address must not carry credentials (user:password@)")
    if not parts.hostname:
        raise ValueError("the API address has no host")
    if parts.query or parts.fragment:
        raise ValueError("the API address must not carry a query or a fragment")
    _ = parts.port  # raises ValueError for a port that is not a number
    path = parts.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class _Redacting(logging.Filter):
    """Rewrites each record of a library logger with the password redacted."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: keep what can be shown
            text = str(record.msg)
        record.msg, record.args = self._redact(text), None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


@contextlib.contextmanager
def _redacted_logs(redact: Callable[[str], str]) -> Iterator[None]:
    guard = _Redacting(redact)
    loggers = [logging.getLogger(name) for name in _LIBRARY_LOGGERS]
    for lg in loggers:
        lg.addFilter(guard)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(guard)


@dataclass
class _Failure:
    """What went wrong with one attempt (built outside any ``except``: no chained exception)."""

    text: str
    retry: bool
    api: bool = False  # the API answered (TTApiError); else no complete answer (FetchError)
    api_code: int | None = None
    timeout: bool = False
    retry_after: float | None = None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    return None  # the HTTP-date form is not honoured: the backoff applies


def _describe(exc: Exception, redact: Callable[[str], str]) -> str:
    detail = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)


class _SecretURL:
    """The request's address: its ``repr`` (in a traceback's locals, say) hides the password."""

    __slots__ = ("_shown", "_value")

    def __init__(self, value: str, shown: str) -> None:
        self._value, self._shown = value, shown

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<URL {self._shown}>"

    __str__ = __repr__


#: A compressed answer that decompresses to more than BOMB_RATIO times its size (XML reports
#: compress 10- to 25-fold) is refused once it passes BOMB_FLOOR bytes: a compression bomb
#: would otherwise fill memory up to max_bytes from a few megabytes sent.
BOMB_RATIO = 200
BOMB_FLOOR = 16 << 20


def _read_body(response: httpx.Response, max_bytes: int, deadline: float) -> bytes | _Failure:
    """The body, read in chunks up to ``max_bytes`` and until the ``deadline`` (monotonic)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return _Failure(f"the answer is larger than {max_bytes:,} bytes (max_bytes)", False)
        sent = response.num_bytes_downloaded  # before decompression
        if size > BOMB_FLOOR and size > BOMB_RATIO * max(sent, 1):
            return _Failure(
                f"the answer expands more than {BOMB_RATIO:,}-fold when decompressed "
                f"({sent:,} bytes sent, {size:,} so far): a compression bomb, not a report",
                False,
            )
        if time.monotonic() > deadline:
            return _Failure("the answer did not complete in time (deadline)", True, timeout=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _attempt(
    client: httpx.Client,
    url: _SecretURL,
    shown: str,
    request: ReportRequest,
    timeout: float,
    max_bytes: int = MAX_BYTES,
    deadline: float = DEADLINE,
) -> bytes | _Failure:
    import httpx

    redact = request.redact
    ends = time.monotonic() + deadline
    try:
        with client.stream("GET", url.reveal()) as response:
            body = _read_body(response, max_bytes, ends)
        if isinstance(body, _Failure):
            return body
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
        return _Failure(f"the address is not valid ({_describe(exc, redact)})", False)
    except httpx.TimeoutException as exc:
        text = f"no answer within {timeout:g} s ({_describe(exc, redact)})"
        return _Failure(text, True, timeout=True)
    except httpx.RemoteProtocolError as exc:
        return _Failure(f"the answer was cut off or broken ({_describe(exc, redact)})", True)
    except httpx.TransportError as exc:
        return _Failure(f"could not connect or read ({_describe(exc, redact)})", True)
    except httpx.HTTPError as exc:
        return _Failure(f"the request failed ({_describe(exc, redact)})", False)
    status = response.status_code
    what = redact(f"HTTP {status} {response.reason_phrase}".strip())
    logger.debug("%s from %s (%d bytes)", what, shown, len(body))
    if 300 <= status < 400:
        return _Failure(
            f"the API redirected the request ({what}); redirects are not followed, since they "
            "would carry the password elsewhere: pass the final address as base_url",
            False,
        )
    message = find_message(body, redact)
    if message is not None:
        code = message.code if message.code is not None else (status if status >= 400 else None)
        # a message never closed (cut off, or beyond the part looked at) may end inside the
        # password: mask a trailing start of it too
        cut = b"</message" not in body[:MAX_MESSAGE]
        return _Failure(
            request.redact(message.text, partial=cut),
            status >= 500,
            api=True,
            api_code=code,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if status >= 400:
        return _Failure(
            f"{what} from {shown}",
            status >= 500,
            api=True,
            api_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    return body


def _check_options(timeout: float, retries: int, backoff: float) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, not {retries!r}")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)):
        raise TypeError(f"backoff must be a number of seconds, not {backoff!r}")
    if not (math.isfinite(backoff) and backoff >= 0):
        raise ValueError(f"backoff must be a number of seconds >= 0, not {backoff!r}")


def require_httpx() -> None:
    """Raise an ``ImportError`` that says what to install when httpx is missing."""
    try:
        import httpx  # noqa: F401
    except ImportError:
        raise ImportError(NO_HTTPX) from None


def fetch_report(
    request: ReportRequest,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    allow_http: bool = False,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_bytes: int = MAX_BYTES,
    deadline: float = DEADLINE,
) -> bytes:
    """Send ``request`` to the Performance Report API and return the report's bytes.

    Parameters
    ----------
    request : ReportRequest
        What to ask for (credentials included).
    base_url : str, optional
        The service's address, ``https://<host>``: the request goes to ``<base_url>/api``
        (an address whose path already ends in ``/api`` is used as it is). Default: the
        ``TT_BASE_URL`` environment variable.
    timeout : float, default 60
        Seconds to wait for the connection, and for each read and write.
    retries : int, default 3
        Retries after a failed first attempt, on connection errors, timeouts, cut-off
        answers and 5xx answers; never on 4xx, a ``<message>`` with a 2xx status or a
        redirect.
    backoff : float, default 1
        Seconds before the first retry; each further retry waits twice as long (1, 2, 4 s).
        A ``Retry-After: <seconds>`` header of a 5xx answer is honoured when longer (and
        ends the retries when longer than five minutes).
    allow_http : bool, default False
        Allow a plain ``http://`` address (which sends the password in clear text): for a
        local test server.
    limiter : RateLimiter, optional
        The client-side throttle, taken before each attempt. Default: one limiter shared by
        the whole process, 50 requests per minute (the API's documented throttle).
    sleep : callable, default time.sleep
        How the retries wait (inject it to test without waiting).
    max_bytes : int, default 4 GiB
        The largest answer accepted: a larger one is refused (``FetchError``, no retry).
    deadline : float, default 3600
        Seconds one attempt may take in all, however steadily the server sends: a slower
        answer counts as a timeout (and is retried).

    Returns
    -------
    bytes
        The body of the answer, as sent (not parsed: see :func:`ttstats.read_remote`).

    Raises
    ------
    TTApiError
        The API answered with a ``<message>`` (its code from the ``code`` attribute or
        ``<code>`` child, else the HTTP status when it is an error), or with an HTTP error
        status (the code is the status).
    FetchTimeoutError
        No answer within ``timeout``, or no complete one within ``deadline``, on the last
        attempt.
    FetchError
        The connection failed, the answer was cut off or larger than ``max_bytes``, the
        address is not valid (a host no DNS could hold), or the API redirected.
    ValueError
        No address, an address that is not ``https://`` (without ``allow_http``), or a bad
        option.
    ImportError
        httpx is not installed (``pip install "ttstats[fetch]"``).

    Notes
    -----
    Every message names the URL with ``password=***``, and no exception raised here chains
    the HTTP library's exception (whose text holds the URL). While the request runs, the
    records of the ``httpx`` and ``httpcore`` loggers are redacted; ttstats logs to
    ``ttstats.client`` (the request at DEBUG, each retry at INFO).
    """
    if not isinstance(request, ReportRequest):
        raise TypeError(f"request must be a ReportRequest, not {type(request).__name__}")
    _check_options(timeout, retries, backoff)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0:
        raise ValueError(f"deadline must be a positive number of seconds, not {deadline!r}")
    url_base = endpoint(base_url, allow_http=allow_http)
    require_httpx()
    import httpx

    shown = f"{url_base}?{request.query_string(redacted=True)}"
    url = _SecretURL(f"{url_base}?{request.query_string()}", shown)
    gate = DEFAULT_LIMITER if limiter is None else limiter
    attempts = 0
    with (
        _redacted_logs(request.redact),
        httpx.Client(
            timeout=float(timeout),
            follow_redirects=False,
            headers={"User-Agent": _user_agent()},
        ) as client,
    ):
        while True:
            gate.acquire()
            attempts += 1
            logger.debug("GET %s (attempt %d of %d)", shown, attempts, retries + 1)
            outcome = _attempt(
                client, url, shown, request, float(timeout), max_bytes, float(deadline)
            )
            if isinstance(outcome, bytes):
                return outcome
            if not outcome.retry or attempts > retries:
                break
            delay = backoff * 2 ** (attempts - 1)
            if outcome.retry_after is not None:
                if outcome.retry_after > MAX_RETRY_AFTER:
                    outcome.text += f" (the API asks to retry after {outcome.retry_after:g} s)"
                    break
                delay = max(delay, outcome.retry_after)
            logger.info(
                "%s; retrying in %g s (attempt %d of %d)",
                f"API error {outcome.api_code}" if outcome.api else outcome.text,
                delay,
                attempts + 1,
                retries + 1,
            )
            sleep(delay)
    raise _error(outcome, shown, attempts)


def _error(outcome: _Failure, shown: str, attempts: int) -> TTStatsError:
    if outcome.api:
        return TTApiError(outcome.text, outcome.api_code)
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    text = f"{outcome.text}: GET {shown}{tries}"
    cls = FetchTimeoutError if outcome.timeout else FetchError
    return cls(text, url=shown, attempts=attempts)
