"""The exception and warning tree of ttstats.

``TTStatsError`` is the root of everything ttstats raises on purpose::

    TTStatsError
    ├── ReportParseError   the bytes are not a readable Performance Report
    ├── TTApiError         the API answered with a ``<message>`` (e.g. 401)
    ├── FetchError         a request to the API got no complete answer
    │   └── FetchTimeoutError  ... because it timed out
    ├── ReportMismatchError  two reports that should answer the same request do not
    └── UnknownLabelError  a recipe or step name the report does not hold

``TTStatsWarning`` is the root of the warnings, so that users can filter them with
``warnings.filterwarnings("ignore", category=ttstats.TTStatsWarning)``.
"""

from __future__ import annotations


class TTStatsError(Exception):
    """Base class of every error ttstats raises on purpose."""


class ReportParseError(TTStatsError, ValueError):
    """The input is not a readable Performance Report.

    Attributes
    ----------
    line, column : int or None
        1-based position in the input where reading stopped (column counts bytes).
    reason : str
        The message without the position.
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{reason}")


class UnknownLabelError(TTStatsError, KeyError, ValueError):
    """A recipe or step name that the report does not hold (the message lists those it does).

    Both a ``KeyError`` (a missing label) and a ``ValueError`` (a bad argument).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ReportMismatchError(TTStatsError, ValueError):
    """Two reports that should answer the same request do not (the message says how)."""


class TTApiError(TTStatsError):
    """The API answered with a ``<message>`` instead of a report.

    Attributes
    ----------
    code : int or None
        The error code (for example 401) when the response carries one.
    message : str
        The API's description of the error.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        self.message = message
        prefix = f"API error {code}" if code is not None else "API error"
        super().__init__(f"{prefix}: {message}")


class FetchError(TTStatsError):
    """A request to the Performance Report API got no complete answer.

    The connection failed, timed out, was redirected or the response was cut off, on every
    attempt. The message names the URL with the password shown as ``***``.

    Attributes
    ----------
    url : str
        The request URL, password redacted.
    attempts : int
        How many requests were sent.
    """

    def __init__(self, message: str, url: str = "", attempts: int = 0) -> None:
        self.url = url
        self.attempts = attempts
        super().__init__(message)


class FetchTimeoutError(FetchError):
    """The API did not answer within the timeout (on every attempt)."""


class TTStatsWarning(UserWarning):
    """Base class of every warning ttstats emits."""


class ReportRepairWarning(TTStatsWarning):
    """The input was malformed or held content that was repaired, skipped or unknown."""


class AggregationWarning(TTStatsWarning):
    """An aggregation whose result needs care (e.g. summing visitor samples)."""
