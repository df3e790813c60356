"""``ReportRequest``: the documented Performance Report request, validated, with a secret password.

The request is built exactly as the API page documents it (``docs/report-format.md``,
"Request"): the parameter names and values are case sensitive and go on the wire in the
documented order. The wire names that our copy of the documentation lost live in
:class:`WireNames`, the one place to override them.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

#: The documented values of ``resolution`` (case sensitive; ``day`` is the API's default).
RESOLUTIONS = ("hour", "day", "week", "month")
#: The documented values of ``type`` (absent: every metric, one report per type).
TYPES = ("visit", "visitor", "impression")
#: The documented API versions.
VERSIONS = (1, 2)
#: The ``segment`` value that asks for one report per segment plus the aggregate.
ALL_SEGMENTS = "allSegments"
#: Environment variables the credentials are read from (:meth:`ReportRequest.from_env`).
ENV_CLIENT, ENV_EMAIL, ENV_PASSWORD = "TT_CLIENT", "TT_EMAIL", "TT_PASSWORD"
#: What a secret is shown as, everywhere.
MASK = "***"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?")
# Characters sent as they are in a query value besides the unreserved ones: ':' keeps the
# documented date form YYYY-MM-DDTHH:mm readable, '@' the e-mail address; both are allowed in
# a query by RFC 3986. Everything else ('&', '=', '+', '%', space, '/', non-ASCII...) is
# percent-encoded (UTF-8), so that a value can never split or extend the query.
_SAFE = ":@"


@dataclass(frozen=True)
class WireNames:
    """The wire names and fixed values that the documentation we hold does not pin down.

    This is the one place they live; pass your own to :class:`ReportRequest` (``wire=``) if
    your T&T account expects other spellings.

    Attributes
    ----------
    operation : str, default "report"
        The value of the ``operation`` parameter. The API page's parameter table says "this
        value is always Report", but its example URL sends ``operation=report``; values are
        case sensitive, and we follow the example URL.
    show_deleted : str, default "showDeletedExperiences"
        The name of the flag "report information for experiences that are now deleted".
    exclude_extreme_orders : str, default "excludeExtremeOrders"
        The name of the flag "extreme orders are excluded from the API response".
    true : str, default "true"
        The value sent for a flag that is on (a flag that is off is not sent at all: the
        API's default is false).

    Examples
    --------
    >>> WireNames().exclude_extreme_orders
    'excludeExtremeOrders'
    >>> WireNames(exclude_extreme_orders="excludeExtremes").operation
    'report'
    """

    operation: str = "report"
    show_deleted: str = "showDeletedExperiences"
    exclude_extreme_orders: str = "excludeExtremeOrders"
    true: str = "true"

    def __post_init__(self) -> None:
        for name in ("operation", "show_deleted", "exclude_extreme_orders", "true"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"WireNames.{name} must be a non-empty string, not {value!r}")


#: The wire names used unless a request is given its own.
DEFAULT_WIRE = WireNames()


def encode(value: str) -> str:
    """Percent-encode one query value the way :class:`ReportRequest` sends it.

    Examples
    --------
    >>> encode("QA hosts/EU")
    'QA%20hosts%2FEU'
    >>> encode("2009-08-03T10:00"), encode("ann@example.com")
    ('2009-08-03T10:00', 'ann@example.com')
    """
    return quote(value, safe=_SAFE)


def secret_forms(secret: str) -> tuple[str, ...]:
    """Every form in which ``secret`` may show up in a text: raw, URL-encoded, escaped.

    The longest come first, so that replacing them in order never leaves a piece behind.
    """
    # the secret as it may have been re-encoded on the way: Unicode normal forms, its UTF-8
    # bytes read as Latin-1 or cp1252 (mojibake), percent-encoded as Latin-1
    variants = {secret, *(unicodedata.normalize(f, secret) for f in ("NFC", "NFD", "NFKC", "NFKD"))}
    for codec in ("latin-1", "cp1252"):
        variants.add(secret.encode("utf-8").decode(codec, errors="replace"))
    # ... and with what is not ASCII dropped or replaced (a header's reason phrase, say), when
    # that keeps most of it: "日本語2024" stripped to "2024" would mask every year
    ascii_only = secret.encode("ascii", errors="ignore").decode()
    if len(ascii_only) >= max(8, 0.75 * len(secret)):
        variants |= {ascii_only, secret.encode("ascii", errors="replace").decode()}
    forms: set[str] = set()
    for v in variants:
        forms |= {
            v,
            encode(v),
            quote(v, safe=""),
            quote(v),
            quote_plus(v),
            quote_plus(v, safe=_SAFE),
            _latin1_quoted(v),
            repr(v)[1:-1],
            ascii(v)[1:-1],
            repr(v.encode("utf-8"))[2:-1],
            html.escape(v),
            html.escape(v, quote=False),
            _xml_escape(v),
        }
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def _latin1_quoted(text: str) -> str:
    """``text`` percent-encoded as Latin-1, or ``""`` when Latin-1 cannot hold all of it
    (dropping what it cannot would leave a fragment that matches ordinary text)."""
    try:
        return quote(text, safe="", encoding="latin-1", errors="strict")
    except UnicodeEncodeError:
        return ""


def _xml_escape(text: str) -> str:
    """``text`` escaped as XML writers do, ``&apos;`` and ``&quot;`` included."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, entity)
    return text.replace("'", "&apos;")


def redact(text: str, secret: str, *, partial: bool = False) -> str:
    """``text`` with every form of ``secret`` (see :func:`secret_forms`) replaced by ``***``.

    Percent-encodings are matched in either case (``%2B`` and ``%2b``). With ``partial``, for
    a text that may have been cut (a message never closed, values quoted up to a length):
    also the start of a form that a quote, an ellipsis or the text's end follows, and a
    trailing start of the secret.

    Examples
    --------
    >>> redact("GET /api?password=p%26ss%2Bw", "p&ss+w")
    'GET /api?password=***'
    """
    if not secret:
        return text
    forms = secret_forms(secret)
    pattern = "|".join(_loose(f) for f in forms)
    if partial:
        # a text that quotes values cut short: the start of a form (six characters or more)
        # where a quote, an ellipsis or the end follows, as a cut leaves it
        starts = sorted(
            {f[:k] for f in forms for k in range(min(6, len(f)), len(f))}, key=len, reverse=True
        )
        cut = "|".join(_loose(f) for f in starts)
        if cut:
            pattern += f"|(?:{cut})(?=['\"]|\\.\\.\\.|\\s*$)"
    out = re.sub(pattern, MASK, text, flags=re.IGNORECASE) if pattern else text
    # a text in another Unicode form than the secret's (partly decomposed, say): its NFC form
    composed = unicodedata.normalize("NFC", out)
    if composed != out:
        masked = re.sub(pattern, MASK, composed, flags=re.IGNORECASE)
        if masked != composed:
            out = masked
    return _cut_tail(out, secret) if partial else out


def _cut_tail(text: str, secret: str) -> str:
    """``text`` with a trailing start of ``secret`` masked: a message cut off in the middle
    of the secret (at a size limit, or never closed) would otherwise show its first letters.
    Four letters at least (the whole secret when it is shorter than eight), so that a word
    that merely ends the way the secret begins is masked only on a match long enough to tell."""
    core = text.rstrip()
    shortest = min(4, len(secret)) if len(secret) >= 8 else len(secret)
    for size in range(min(len(secret), len(core)), max(shortest, 1) - 1, -1):
        if core[-size:].casefold() == secret[:size].casefold():
            return core[:-size] + MASK + text[len(core) :]
    return text


def _loose(form: str) -> str:
    """A pattern for ``form`` in which each run of white space matches any run of it.

    A message whose white space was squeezed or re-wrapped still shows the secret, so its
    spaces are matched loosely; white space at either end is dropped (a longer mask is safe).
    """
    words = form.split()
    return r"\s+".join(re.escape(w) for w in words) if words else re.escape(form)


def _text(name: str, value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def _date(name: str, value: object) -> tuple[str, dt.datetime]:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(
                f"{name} must be a naive local time (the API reads dates in the browser's "
                f"time zone), not {value.isoformat()}"
            )
        if value.second or value.microsecond:
            raise ValueError(f"{name} has seconds; the API takes minutes: {value.isoformat()}")
        return value.strftime("%Y-%m-%dT%H:%M"), value
    if isinstance(value, dt.date):
        return value.isoformat(), dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string or a date, not {type(value).__name__}")
    if not _DATE.fullmatch(value):
        raise ValueError(f"{name} must be YYYY-MM-DD or YYYY-MM-DDTHH:mm, not {value!r}")
    try:
        when = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M" if "T" in value else "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"{name} is not a date in the calendar: {value!r}") from None
    return value, when


def _choice(name: str, value: object, choices: tuple[str, ...], optional: bool) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        absent = " or None" if optional else ""
        raise ValueError(f"{name} must be one of {listed}{absent} (case sensitive), not {value!r}")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def _campaign(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(f"campaign_id must be an integer, not {value!r}")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise TypeError(f"campaign_id must be an integer, not {value!r}")
    if value <= 0:
        raise ValueError(f"campaign_id must be a positive integer, not {value}")
    return value


class ReportRequest:
    """One Performance Report request: every documented parameter, validated on construction.

    Parameters
    ----------
    client, email, password : str
        The T&T client name, the user's e-mail address and password (required). The
        password is a secret: ``repr``, ``str``, the logs and every exception show it as
        ``***``, URL-encoded forms included. :meth:`from_env` reads all three from the
        environment.
    campaign_id : int
        The campaign's id (``campaignId``).
    start, end : str, datetime.date or datetime.datetime
        ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:mm``, naive local times (the API reads them in the
        browser's time zone); ``start`` must come before ``end``.
    type : {"visit", "visitor", "impression"}, optional
        The metric; absent: every metric, one report per type.
    environment : str, optional
        The host group (the API's default is Production); sent URL-encoded.
    resolution : {"hour", "day", "week", "month"}, default "day"
    segment : str, optional
        A segment name, or ``"allSegments"`` (:data:`ALL_SEGMENTS`) for one report per
        segment plus the aggregate; absent: the aggregate of all segments.
    show_deleted : bool, default False
        Also report experiences that are now deleted.
    exclude_extreme_orders : bool, default False
        Exclude extreme orders (T&T replaces each by the experience's average order value).
    version : {1, 2}, default 2
    wire : WireNames, optional
        The wire names of the two flags and the ``operation`` value (default
        :data:`DEFAULT_WIRE`).

    Raises
    ------
    ValueError, TypeError
        A parameter is missing, empty, of the wrong type or not one of the documented values
        (values are case sensitive), a date is not in a documented form, or ``start`` is not
        before ``end``. The password is never part of the message.

    Notes
    -----
    The query goes out in the documented order: ``client``, ``email``, ``password``,
    ``operation``, ``campaignId``, ``start``, ``end``, then ``type``, ``environment``,
    ``resolution``, ``segment``, the deleted-experiences flag, the extreme-orders flag and
    ``version``. ``resolution`` and ``version`` are always sent; ``type``, ``environment`` and
    ``segment`` only when given; a flag only when true.

    A request is immutable (:meth:`replace` makes a changed copy) and refuses to be pickled,
    so that its password does not end up in a file.

    Examples
    --------
    >>> req = ReportRequest("acme", "ann@example.com", "s3cret&", 4711, "2009-08-03",
    ...                     "2009-08-31", segment="allSegments")
    >>> req
    ReportRequest(client='acme', email='ann@example.com', password='***', campaign_id=4711, start='2009-08-03', end='2009-08-31', type=None, environment=None, resolution='day', segment='allSegments', show_deleted=False, exclude_extreme_orders=False, version=2)
    >>> req.query_string(redacted=True)
    'client=acme&email=ann@example.com&password=***&operation=report&campaignId=4711&start=2009-08-03&end=2009-08-31&resolution=day&segment=allSegments&version=2'
    >>> req.replace(exclude_extreme_orders=True).query_string(redacted=True).endswith(
    ...     "excludeExtremeOrders=true&version=2")
    True
    """

    __slots__ = (
        "_password",
        "campaign_id",
        "client",
        "email",
        "end",
        "environment",
        "exclude_extreme_orders",
        "resolution",
        "segment",
        "show_deleted",
        "start",
        "type",
        "version",
        "wire",
    )

    client: str
    email: str
    campaign_id: int
    start: str
    end: str
    type: str | None
    environment: str | None
    resolution: str
    segment: str | None
    show_deleted: bool
    exclude_extreme_orders: bool
    version: int
    wire: WireNames
    _password: str

    def __init__(
        self,
        client: str,
        email: str,
        password: str,
        campaign_id: int,
        start: str | dt.date,
        end: str | dt.date,
        *,
        type: str | None = None,
        environment: str | None = None,
        resolution: str = "day",
        segment: str | None = None,
        show_deleted: bool = False,
        exclude_extreme_orders: bool = False,
        version: int = 2,
        wire: WireNames = DEFAULT_WIRE,
    ) -> None:
        if not isinstance(password, str):
            raise TypeError(f"password must be a string, not {_type_name(password)}")
        if not password.strip():  # a blank one is a mistake, and would mask every space
            raise ValueError("password must not be empty or white space only")
        start_text, start_at = _date("start", start)
        end_text, end_at = _date("end", end)
        if not start_at < end_at:
            raise ValueError(f"start must come before end: start={start_text}, end={end_text}")
        if isinstance(version, bool) or version not in VERSIONS:
            raise ValueError(f"version must be 1 or 2, not {version!r}")
        if not isinstance(wire, WireNames):
            raise TypeError(f"wire must be a WireNames, not {_type_name(wire)}")
        values: dict[str, Any] = {
            "client": _text("client", client),
            "email": _text("email", email),
            "_password": password,
            "campaign_id": _campaign(campaign_id),
            "start": start_text,
            "end": end_text,
            "type": _choice("type", type, TYPES, optional=True),
            "environment": _text("environment", environment, optional=True),
            "resolution": _choice("resolution", resolution, RESOLUTIONS, optional=False),
            "segment": _text("segment", segment, optional=True),
            "show_deleted": _flag("show_deleted", show_deleted),
            "exclude_extreme_orders": _flag("exclude_extreme_orders", exclude_extreme_orders),
            "version": version,
            "wire": wire,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_env(
        cls,
        campaign_id: int,
        start: str | dt.date,
        end: str | dt.date,
        *,
        client: str | None = None,
        email: str | None = None,
        password: str | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> ReportRequest:
        """A request whose credentials come from the environment unless given as arguments.

        Parameters
        ----------
        campaign_id, start, end
            As for :class:`ReportRequest`.
        client, email, password : str, optional
            Given: used as they are. Not given: read from ``TT_CLIENT``, ``TT_EMAIL`` and
            ``TT_PASSWORD``. Credentials are never read from a file.
        environ : mapping, optional
            Where to read them (default ``os.environ``).
        **options
            The keyword options of :class:`ReportRequest`.

        Raises
        ------
        ValueError
            A credential is neither given nor set (or set to an empty string); the message
            names the environment variables.

        Examples
        --------
        >>> env = {"TT_CLIENT": "acme", "TT_EMAIL": "ann@example.com", "TT_PASSWORD": "pw"}
        >>> ReportRequest.from_env(4711, "2009-08-03", "2009-08-31", environ=env).client
        'acme'
        >>> ReportRequest.from_env(4711, "2009-08-03", "2009-08-31", environ={})
        Traceback (most recent call last):
        ...
        ValueError: no T&T credentials: set TT_CLIENT, TT_EMAIL and TT_PASSWORD in the environment (missing: TT_CLIENT, TT_EMAIL, TT_PASSWORD)
        """
        env = os.environ if environ is None else environ
        given = {ENV_CLIENT: client, ENV_EMAIL: email, ENV_PASSWORD: password}
        found = {k: v if v is not None else env.get(k, "") for k, v in given.items()}
        missing = [k for k, v in found.items() if not v]
        if missing:
            raise ValueError(
                f"no T&T credentials: set {ENV_CLIENT}, {ENV_EMAIL} and {ENV_PASSWORD} in the "
                f"environment (missing: {', '.join(missing)})"
            )
        return cls(
            found[ENV_CLIENT],
            found[ENV_EMAIL],
            found[ENV_PASSWORD],
            campaign_id,
            start,
            end,
            **options,
        )

    def replace(self, **changes: Any) -> ReportRequest:
        """A copy with some parameters changed (validated again), the password kept.

        Examples
        --------
        >>> req = ReportRequest("acme", "ann@example.com", "pw", 4711, "2009-08-03", "2009-08-31")
        >>> req.replace(resolution="week").resolution
        'week'
        """
        fields = {
            "client": self.client,
            "email": self.email,
            "password": self._password,
            "campaign_id": self.campaign_id,
            "start": self.start,
            "end": self.end,
            **self._options(),
            "wire": self.wire,
        }
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise TypeError(f"ReportRequest has no parameter {', '.join(unknown)}")
        fields.update(changes)
        return ReportRequest(**fields)

    def _options(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "environment": self.environment,
            "resolution": self.resolution,
            "segment": self.segment,
            "show_deleted": self.show_deleted,
            "exclude_extreme_orders": self.exclude_extreme_orders,
            "version": self.version,
        }

    def params(self, *, redacted: bool = False) -> list[tuple[str, str]]:
        """The query parameters as (name, value) pairs, in the documented order, not encoded.

        With ``redacted=True`` the password is ``***``.
        """
        w = self.wire
        pairs = [
            ("client", self.client),
            ("email", self.email),
            ("password", MASK if redacted else self._password),
            ("operation", w.operation),
            ("campaignId", str(self.campaign_id)),
            ("start", self.start),
            ("end", self.end),
        ]
        if self.type is not None:
            pairs.append(("type", self.type))
        if self.environment is not None:
            pairs.append(("environment", self.environment))
        pairs.append(("resolution", self.resolution))
        if self.segment is not None:
            pairs.append(("segment", self.segment))
        if self.show_deleted:
            pairs.append((w.show_deleted, w.true))
        if self.exclude_extreme_orders:
            pairs.append((w.exclude_extreme_orders, w.true))
        pairs.append(("version", str(self.version)))
        return pairs

    def query_string(self, *, redacted: bool = False) -> str:
        """The encoded query string, exactly as sent (``redacted=True``: password ``***``).

        Every value is percent-encoded (UTF-8) except letters, digits, ``-._~`` and ``:@``.
        """
        return "&".join(
            f"{name}={MASK if redacted and name == 'password' else encode(value)}"
            for name, value in self.params()
        )

    def redact(self, text: str, *, partial: bool = False) -> str:
        """``text`` with this request's password, in any encoding, replaced by ``***``
        (``partial``: also its first eight characters or more, wherever they stand)."""
        return redact(text, self._password, partial=partial)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ReportRequest is immutable: use replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ReportRequest is immutable")

    def _key(self) -> tuple[object, ...]:
        head = (self.client, self.email, self._password, self.campaign_id, self.start, self.end)
        return (*head, *self._options().values(), self.wire)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReportRequest):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        wire = "" if self.wire == DEFAULT_WIRE else f", wire={self.wire!r}"
        return (
            f"ReportRequest(client={self.client!r}, email={self.email!r}, password={MASK!r}, "
            f"campaign_id={self.campaign_id!r}, start={self.start!r}, end={self.end!r}, "
            f"{options}{wire})"
        )

    def __reduce__(self) -> Any:
        raise TypeError("a ReportRequest holds a password and is not pickled")

    def __copy__(self) -> ReportRequest:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> ReportRequest:
        return self


def _type_name(value: object) -> str:
    """The type's name of ``value``, for messages that must not show the value itself."""
    return type(value).__name__
