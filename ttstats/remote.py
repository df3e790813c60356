"""Reports read straight from the API: the client's bytes handed to the parser.

:func:`read_remote` fetches one request and reads it; :func:`fetch_pair` fetches the same
request with and without extreme orders, ready for
:func:`ttstats.extreme_order_sensitivity`. This module sits beside the parser, above the
client (which only moves bytes).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable

from ._errors import ReportParseError, TTApiError
from .client import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    RateLimiter,
    ReportRequest,
    fetch_report,
)
from .parse import Report, read_report


def read_remote(
    request: ReportRequest,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    allow_http: bool = False,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    strict: bool = False,
    campaign_recipe: str = "Campaign",
) -> Report:
    """Fetch ``request`` from the API and read the answer into a :class:`~ttstats.Report`.

    Parameters
    ----------
    request : ReportRequest
        What to ask for.
    base_url, timeout, retries, backoff, allow_http, limiter, sleep
        As for :func:`ttstats.fetch_report` (``base_url`` defaults to ``TT_BASE_URL``).
    strict, campaign_recipe
        As for :func:`ttstats.read_report`; the report is read as the requested version.

    Returns
    -------
    Report

    Raises
    ------
    TTApiError
        The API answered with a ``<message>`` or an HTTP error status.
    FetchError, FetchTimeoutError
        No complete answer (see :func:`ttstats.fetch_report`).
    ReportParseError
        The answer is not a readable report (for example, cut off mid-document).
    """
    data = fetch_report(
        request,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        allow_http=allow_http,
        limiter=limiter,
        sleep=sleep,
    )
    return _read_masked(data, request, strict=strict, campaign_recipe=campaign_recipe)


def _read_masked(
    data: bytes, request: ReportRequest, *, strict: bool, campaign_recipe: str
) -> Report:
    """:func:`read_report` with the password masked in every text it gives: the warnings
    (emitted and in :attr:`Report.warnings`) and the error. A server that echoes the
    password into the document (a stray text, an attribute) would otherwise pass it on to
    whoever logs the warnings."""
    failure: ReportParseError | TTApiError | None = None
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            report = read_report(
                data, version=request.version, strict=strict, campaign_recipe=campaign_recipe
            )
        except ReportParseError as err:  # raised below, so that no chain keeps the original
            failure = ReportParseError(
                request.redact(err.reason, partial=True), err.line, err.column
            )
        except TTApiError as err:  # a <message> the client's quick look did not see (UTF-16)
            failure = TTApiError(request.redact(err.message, partial=True), err.code)
    if failure is not None:
        raise failure
    for found in seen:
        warnings.warn_explicit(
            request.redact(str(found.message), partial=True),
            found.category,
            found.filename,
            found.lineno,
        )
    masked = tuple(
        w._replace(message=request.redact(w.message, partial=True)) for w in report.warnings
    )
    return dataclasses.replace(report, warnings=masked)


def fetch_pair(
    request: ReportRequest,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    allow_http: bool = False,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    strict: bool = False,
    campaign_recipe: str = "Campaign",
) -> tuple[Report, Report]:
    """The same request twice: with extreme orders, and with extreme orders excluded.

    Parameters
    ----------
    request : ReportRequest
        What to ask for; its own ``exclude_extreme_orders`` is ignored (both are fetched).
    base_url, timeout, retries, backoff, allow_http, limiter, sleep, strict, campaign_recipe
        As for :func:`read_remote`.

    Returns
    -------
    (Report, Report)
        ``(with_extremes, without_extremes)``, in the order
        :func:`ttstats.extreme_order_sensitivity` takes them::

            with_x, without_x = ttstats.fetch_pair(request)
            ttstats.extreme_order_sensitivity(with_x, without_x, control="Control")

    Raises
    ------
    TTApiError, FetchError, ReportParseError
        As for :func:`read_remote`, from either request.
    """

    def get(req: ReportRequest) -> Report:
        return read_remote(
            req,
            base_url=base_url,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            allow_http=allow_http,
            limiter=limiter,
            sleep=sleep,
            strict=strict,
            campaign_recipe=campaign_recipe,
        )

    with_extremes = get(request.replace(exclude_extreme_orders=False))
    without_extremes = get(request.replace(exclude_extreme_orders=True))
    return with_extremes, without_extremes
