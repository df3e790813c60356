"""fetch_report, read_remote and fetch_pair against a local server that plays the API.

The server runs on 127.0.0.1 in a thread (tests/_api_server.py); every sleep (backoff, rate
limit) goes to an injected fake clock, so nothing here waits except the timeout test, whose
server holds its answer back for longer than the client's timeout.
"""

from __future__ import annotations

import logging
import socket
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import ttstats
from ttstats import FetchError, FetchTimeoutError, ReportParseError, TTApiError
from ttstats.client import RateLimiter, ReportRequest, fetch_report
from ttstats.client import _fetch as fetch_module

from ._api_server import PASSWORD, PASSWORD_ON_WIRE, ApiServer, FakeClock, Reply, assert_no_secret
from .conftest import sample

REPORT = sample("v2-small.xml").read_bytes()
MESSAGE_401 = sample("error-401.xml").read_bytes()
# the request below, as the API must see it (written out from the documented names and values)
QUERY = (
    f"client=acme&email=ann@example.com&password={PASSWORD_ON_WIRE}&operation=report"
    "&campaignId=4711&start=2009-08-03&end=2009-08-31&resolution=day&version=2"
)
SHOWN = (
    "client=acme&email=ann@example.com&password=***&operation=report"
    "&campaignId=4711&start=2009-08-03&end=2009-08-31&resolution=day&version=2"
)


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer.running() as server:
        yield server
    assert server.errors == [], "the test server failed to answer"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def no_real_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared limiter may never make a test wait for real."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"the default rate limiter tried to sleep {seconds} s")

    monkeypatch.setattr(fetch_module, "DEFAULT_LIMITER", RateLimiter(sleep=refuse))


def request(**options: Any) -> ReportRequest:
    return ReportRequest(
        "acme", "ann@example.com", PASSWORD, 4711, "2009-08-03", "2009-08-31", **options
    )


def fetch(api: ApiServer, clock: FakeClock, req: ReportRequest | None = None, **kw: Any) -> bytes:
    kw.setdefault("limiter", RateLimiter(clock=clock, sleep=clock.sleep))
    return fetch_report(
        req or request(), base_url=api.base_url, allow_http=True, sleep=clock.sleep, **kw
    )


def chain_text(err: BaseException) -> str:
    """Everything an exception can show: str, repr, the traceback and every chained one."""
    parts = []
    seen: BaseException | None = err
    while seen is not None:
        parts += [str(seen), repr(seen)]
        parts += traceback.format_exception(type(seen), seen, seen.__traceback__)
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# the request on the wire
# --------------------------------------------------------------------------------------------
def test_success_returns_the_bytes_and_sends_the_exact_query(
    api: ApiServer, clock: FakeClock
) -> None:
    api.script(Reply(200, REPORT))
    assert fetch(api, clock) == REPORT
    assert api.targets == [f"/api?{QUERY}"]


def test_full_request_on_the_wire(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, REPORT))
    req = request(
        type="visit",
        environment="QA hosts/EU",
        resolution="week",
        segment="allSegments",
        show_deleted=True,
        exclude_extreme_orders=True,
        version=1,
    )
    fetch(api, clock, req)
    assert api.queries == [
        f"client=acme&email=ann@example.com&password={PASSWORD_ON_WIRE}&operation=report"
        "&campaignId=4711&start=2009-08-03&end=2009-08-31&type=visit"
        "&environment=QA%20hosts%2FEU&resolution=week&segment=allSegments"
        "&showDeletedExperiences=true&excludeExtremeOrders=true&version=1"
    ]


def test_base_url_with_api_path_and_from_environment(
    api: ApiServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.script(Reply(200, REPORT), Reply(200, REPORT))
    fetch_report(
        request(),
        base_url=api.base_url + "/api",
        allow_http=True,
        limiter=RateLimiter(clock=clock, sleep=clock.sleep),
    )
    monkeypatch.setenv("TT_BASE_URL", api.base_url)
    fetch_report(request(), allow_http=True, limiter=RateLimiter(clock=clock, sleep=clock.sleep))
    assert api.targets == [f"/api?{QUERY}", f"/api?{QUERY}"]


def test_plain_http_is_refused_before_anything_is_sent(api: ApiServer, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="plain HTTP would send the password") as info:
        fetch_report(request(), base_url=api.base_url)
    assert api.targets == []
    assert_no_secret(chain_text(info.value))


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("timeout", 0, "timeout must be a positive"),
        ("timeout", float("nan"), "timeout must be a positive"),
        ("retries", -1, "retries must be an integer >= 0"),
        ("retries", 1.5, "retries must be an integer >= 0"),
        ("backoff", -1.0, "backoff must be a number of seconds >= 0"),
    ],
)
def test_bad_options(api: ApiServer, clock: FakeClock, option: str, value: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fetch(api, clock, **{option: value})
    assert api.targets == []


def test_not_a_request() -> None:
    with pytest.raises(TypeError, match="request must be a ReportRequest"):
        fetch_report("client=acme", base_url="https://tt.example.com")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# answers that are errors
# --------------------------------------------------------------------------------------------
def test_401_message_is_an_api_error_and_not_retried(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(401, MESSAGE_401))
    with pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert info.value.code == 401  # from the HTTP status: the sample carries no code
    assert info.value.message == "Invalid email or password supplied. Email:"
    assert len(api.targets) == 1 and clock.sleeps == []
    assert_no_secret(chain_text(info.value))


def test_message_with_status_200_takes_its_own_code(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, b'<message code="401">Invalid email or password supplied.</message>'))
    with pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert (info.value.code, info.value.message) == (401, "Invalid email or password supplied.")
    assert len(api.targets) == 1


def test_message_with_status_200_and_no_code(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, MESSAGE_401))
    with pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert info.value.code is None


def test_message_child_code_wins_over_status(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(400, b"<message><code>403</code>Campaign not yours</message>"))
    with pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert (info.value.code, info.value.message) == (403, "Campaign not yours")


def _escaped(text: str) -> str:
    """``text`` as an XML server would write it, escaped by hand (``&apos;`` for the quote)."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, entity)
    return text.replace("'", "&apos;")


@pytest.mark.parametrize(
    ("secret", "echo"),
    [
        (PASSWORD, _escaped(PASSWORD)),
        (PASSWORD, _escaped(PASSWORD).replace(" ", "\n   ")),  # re-wrapped by the server
        (PASSWORD, _escaped(PASSWORD).replace(" ", " <b>") + "</b>"),  # a tag inside the echo
        (PASSWORD, _escaped(PASSWORD).replace("&amp;", "&#38;")),  # a numeric reference
        ("Zq7  Wv9", "Zq7  Wv9"),  # squeezing white space would change these three
        ("Zq7\tWv9", "Zq7\tWv9"),
        ("Zq7\nWv9", "Zq7\nWv9"),
        ("Zq7<b>Wv9", "Zq7&lt;b&gt;Wv9"),
        ("Zq7<b>Wv9", "Zq7<b>Wv9"),  # unescaped: removing the tag would change it
    ],
    ids=[
        "escaped",
        "rewrapped",
        "tag-inside",
        "numeric-entity",
        "double-space",
        "tab",
        "newline",
        "escaped-tag",
        "raw-tag",
    ],
)
def test_a_message_echoing_the_password_never_shows_it(
    api: ApiServer, clock: FakeClock, secret: str, echo: str
) -> None:
    body = f"<message code='401'>Wrong password: {echo} for ann</message>".encode()
    api.script(Reply(401, body))
    req = ReportRequest("acme", "ann@example.com", secret, 4711, "2009-08-03", "2009-08-31")
    with pytest.raises(TTApiError) as info:
        fetch(api, clock, req)
    assert info.value.message.startswith("Wrong password: ***")
    assert info.value.message.endswith("for ann")
    text = chain_text(info.value)
    assert_no_secret(text, secret)
    for piece in secret.replace("<b>", " ").split():  # no piece of it, however it was reshaped
        assert piece not in text, (piece, text)


@pytest.mark.parametrize(
    ("secret", "body"),
    [
        ("Hunter2 secret", "Bad password: Hun<b>ter2</b> secret"),  # a tag inside a word
        ("Sup3rS3cretPass", "Bad password: Sup3rS3cretP"),  # cut off inside the secret
        ("p\u00e4ssw\u00f6rd1", "bad p\u00c3\u00a4ssw\u00c3\u00b6rd1"),  # UTF-8 read as Latin-1
        ("p\u00e4ssw\u00f6rd1", "bad p%E4ssw%F6rd1"),  # percent-encoded as Latin-1
        ("p\u00e4ssw\u00f6rd1", "bad pa\u0308ssw\u00f6rd1"),  # decomposed (NFD)
        ("Hunter2SecretX", "Invalid Hunter2Sec<![CDATA[retX]]> x</message>"),  # CDATA inside
    ],
    ids=["tag-in-word", "cut-off", "mojibake", "latin1-percent", "nfd", "cdata"],
)
def test_a_reshaped_or_partial_echo_is_masked(
    api: ApiServer, clock: FakeClock, secret: str, body: str
) -> None:
    api.script(Reply(401, f"<message>{body}".encode()))  # never closed, as a cut answer
    req = ReportRequest("acme", "ann@example.com", secret, 4711, "2009-08-03", "2009-08-31")
    with pytest.raises(TTApiError) as info:
        fetch(api, clock, req)
    assert "***" in info.value.message
    text = chain_text(info.value)
    for piece in ("ter2", "S3cretP", "ssw", "rd1", "Hunter2Sec"):
        assert piece not in text or piece not in secret, (piece, text)


def test_a_password_in_the_reason_phrase_is_masked(
    api: ApiServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    reason = f"Bad password {PASSWORD}"
    api.script(Reply(401, b"denied", reason=reason))
    with caplog.at_level(logging.DEBUG, logger="ttstats.client"), pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert "HTTP 401 Bad password ***" in str(info.value)
    api.script(Reply(302, b"", reason=reason, headers={"Location": "https://elsewhere"}))
    with (
        caplog.at_level(logging.DEBUG, logger="ttstats.client"),
        pytest.raises(FetchError) as moved,
    ):
        fetch(api, clock)
    for text in (chain_text(info.value), chain_text(moved.value), caplog.text):
        assert_no_secret(text)


def test_a_compression_bomb_is_refused_early(api: ApiServer, clock: FakeClock) -> None:
    """40 MB of white space gzipped to about 40 kB (a thousandfold; reports compress 10- to
    25-fold): refused once 16 MB are decompressed, not read to max_bytes."""
    import gzip

    body = gzip.compress(b"<reports>" + b" " * (40 << 20) + b"</reports>", 9)
    assert len(body) < 100_000
    api.script(Reply(200, body, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="expands more than 200-fold when decompressed"):
        fetch(api, clock)
    assert len(api.targets) == 1  # not retried
    # a report sent compressed, as a server may, is read as it is
    api.script(Reply(200, gzip.compress(REPORT), headers={"Content-Encoding": "gzip"}))
    assert fetch(api, clock) == REPORT


@pytest.mark.parametrize("value", ["false", "no", 1, 0, None])
def test_allow_http_takes_a_bool_only(api: ApiServer, clock: FakeClock, value: object) -> None:
    with pytest.raises(TypeError, match="allow_http must be True or False"):
        fetch_report(request(), base_url=api.base_url, allow_http=value)  # type: ignore[arg-type]
    assert api.targets == []


@pytest.mark.parametrize("status", [400, 403, 404, 429])
def test_4xx_without_message_is_an_api_error_without_retry(
    api: ApiServer, clock: FakeClock, status: int
) -> None:
    api.script(Reply(status, b"<html>nope</html>"))
    with pytest.raises(TTApiError) as info:
        fetch(api, clock)
    assert info.value.code == status
    assert f"HTTP {status}" in str(info.value) and f"/api?{SHOWN}" in str(info.value)
    assert len(api.targets) == 1 and clock.sleeps == []


def test_500_then_200_succeeds_after_one_retry(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(500, b"oops"), Reply(200, REPORT))
    assert fetch(api, clock, retries=3, backoff=2.0) == REPORT
    assert api.targets == [f"/api?{QUERY}"] * 2
    assert clock.sleeps == [2.0]  # the first backoff is `backoff`


def test_5xx_backoff_doubles_then_gives_up(api: ApiServer, clock: FakeClock) -> None:
    api.script(*[Reply(503, b"busy")] * 4)
    with pytest.raises(TTApiError) as info:
        fetch(api, clock, retries=3, backoff=1.0)
    assert info.value.code == 503
    assert clock.sleeps == [1.0, 2.0, 4.0]  # 1 * 2**0, 1 * 2**1, 1 * 2**2
    assert len(api.targets) == 4


def test_retry_after_is_honoured_when_longer(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(503, b"", {"Retry-After": "7"}), Reply(503, b"", {"Retry-After": "1"}))
    api.script(Reply(200, REPORT))
    assert fetch(api, clock, retries=2, backoff=1.5) == REPORT
    assert clock.sleeps == [7.0, 3.0]  # max(1.5, 7), max(1.5 * 2, 1)


def test_retry_after_too_long_ends_the_retries(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(503, b"", {"Retry-After": "3600"}))
    with pytest.raises(TTApiError, match="retry after 3600 s") as info:
        fetch(api, clock, retries=3)
    assert info.value.code == 503 and clock.sleeps == [] and len(api.targets) == 1


def test_redirect_is_not_followed(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(302, b"", {"Location": f"https://elsewhere.example/?p={PASSWORD_ON_WIRE}"}))
    with pytest.raises(FetchError, match="redirects are not followed") as info:
        fetch(api, clock)
    assert len(api.targets) == 1
    assert_no_secret(chain_text(info.value))


def test_connection_refused_is_retried_then_a_fetch_error(clock: FakeClock) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError) as info:
        fetch_report(
            request(),
            base_url=f"http://127.0.0.1:{port}",
            allow_http=True,
            retries=2,
            sleep=clock.sleep,
            limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        )
    err = info.value
    assert not isinstance(err, FetchTimeoutError)
    assert err.attempts == 3 and clock.sleeps == [1.0, 2.0]
    assert err.url == f"http://127.0.0.1:{port}/api?{SHOWN}"
    assert "could not connect" in str(err) and "(after 3 attempts)" in str(err)
    assert_no_secret(chain_text(err))
    assert err.__cause__ is None and err.__context__ is None


def test_slow_server_times_out_naming_the_url_without_the_password(
    api: ApiServer, clock: FakeClock
) -> None:
    api.script(Reply(200, REPORT, delay=30.0))
    with pytest.raises(FetchTimeoutError) as info:
        fetch(api, clock, timeout=0.25, retries=0)
    err = info.value
    assert isinstance(err, FetchError)
    assert f"{api.base_url}/api?{SHOWN}" in str(err)
    assert "no answer within 0.25 s" in str(err)
    assert_no_secret(chain_text(err))
    assert err.__cause__ is None and err.__context__ is None


def test_a_trickling_server_meets_the_deadline(api: ApiServer, clock: FakeClock) -> None:
    # 64 bytes every 0.05 s: never silent for the 5 s timeout, but past the 0.3 s deadline
    api.script(Reply(200, REPORT * 4, trickle=0.05))
    with pytest.raises(FetchTimeoutError, match="did not complete in time") as info:
        fetch(api, clock, timeout=5.0, deadline=0.3, retries=0)
    assert f"{api.base_url}/api?{SHOWN}" in str(info.value)
    assert_no_secret(chain_text(info.value))


def test_an_answer_larger_than_max_bytes_is_refused_without_retry(
    api: ApiServer, clock: FakeClock
) -> None:
    api.script(Reply(200, REPORT), Reply(200, REPORT))
    with pytest.raises(FetchError, match="larger than 100 bytes") as info:
        fetch(api, clock, max_bytes=100)
    assert not isinstance(info.value, FetchTimeoutError)
    assert len(api.targets) == 1 and clock.sleeps == []
    assert fetch(api, clock, max_bytes=len(REPORT)) == REPORT  # exactly the limit is fine


@pytest.mark.parametrize(
    "base", ["https://" + "x" * 64 + ".example.com", "https://a..b", "https://xn--zz.com"]
)
def test_an_invalid_host_is_one_clear_error(base: str, clock: FakeClock) -> None:
    with pytest.raises(FetchError, match="the address is not valid") as info:
        fetch_report(request(), base_url=base, retries=2, sleep=clock.sleep)
    assert clock.sleeps == []  # not retried
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert_no_secret(chain_text(info.value))


def test_the_address_in_a_traceback_s_locals_hides_the_password(
    api: ApiServer, clock: FakeClock
) -> None:
    # a tool that prints a traceback's local variables (pytest -l, Sentry) sees repr()s
    api.script(Reply(500, b""))
    try:
        fetch(api, clock, retries=0)
    except TTApiError as err:
        frames = traceback.extract_tb(err.__traceback__)
        seen = traceback.TracebackException.from_exception(err, capture_locals=True)
        text = "".join(seen.format())
        assert len(frames) >= 1
        assert_no_secret(text)
    else:  # pragma: no cover
        pytest.fail("a 500 must raise")


def test_declared_length_longer_than_body_is_a_cut_off_fetch_error(
    api: ApiServer, clock: FakeClock
) -> None:
    half = REPORT[: len(REPORT) // 2]
    api.script(*[Reply(200, half, declared_length=len(REPORT))] * 2)
    with pytest.raises(FetchError, match="cut off") as info:
        fetch(api, clock, retries=1)
    assert len(api.targets) == 2 and clock.sleeps == [1.0]
    assert_no_secret(chain_text(info.value))


def test_half_a_document_is_a_parse_error_in_read_remote(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, REPORT[: len(REPORT) // 2]))
    with pytest.raises(ReportParseError):
        ttstats.read_remote(
            request(),
            base_url=api.base_url,
            allow_http=True,
            limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        )


def test_missing_httpx_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # "import httpx" now fails
    with pytest.raises(ImportError, match=r'pip install "ttstats\[fetch\]"'):
        fetch_report(request(), base_url="https://tt.example.com")
    # building a request needs no httpx
    assert request().campaign_id == 4711


# --------------------------------------------------------------------------------------------
# the password in logs
# --------------------------------------------------------------------------------------------
def test_no_log_record_holds_the_password(
    api: ApiServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.script(Reply(500, b""), Reply(200, REPORT), Reply(401, MESSAGE_401))
    fetch(api, clock)
    with pytest.raises(TTApiError):
        fetch(api, clock)
    api.script(Reply(200, REPORT, delay=30.0))
    with pytest.raises(FetchTimeoutError):
        fetch(api, clock, timeout=0.2, retries=0)
    names = {r.name for r in caplog.records}
    assert {"ttstats.client", "httpx"} <= names  # both loggers spoke: the check has teeth
    assert any("password=***" in r.getMessage() for r in caplog.records if r.name == "httpx")
    for record in caplog.records:
        assert_no_secret(record.getMessage())
        assert_no_secret(str(record.msg) + str(record.args))
    assert_no_secret(caplog.text)


def test_library_loggers_are_left_as_they_were(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, REPORT))
    before = {n: list(logging.getLogger(n).filters) for n in ("httpx", "httpcore.http11")}
    fetch(api, clock)
    assert {n: list(logging.getLogger(n).filters) for n in before} == before


# --------------------------------------------------------------------------------------------
# the rate limit
# --------------------------------------------------------------------------------------------
def test_51_quick_requests_respect_the_rate_limit(api: ApiServer, clock: FakeClock) -> None:
    stamps: list[float] = []
    api.on_request = lambda target: stamps.append(clock())  # when each request arrived
    api.default = Reply(200, REPORT)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(51):
        fetch(api, clock, limiter=limiter)
    assert len(api.targets) == 51
    assert stamps[:50] == [1000.0] * 50  # the clock only moves when the limiter sleeps
    # the 51st waits until the first is 60 s old (the documented 50 per minute)
    assert stamps[50] == pytest.approx(1060.0, abs=1e-9)
    assert sum(clock.sleeps) == pytest.approx(60.0, abs=1e-9)


def test_rate_limit_window_slides() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    times = []
    for gap in (0.0, 4.0, 4.0, 0.0, 0.0, 0.0):  # requests at 0, 4, 8, then as fast as allowed
        clock.now += gap
        limiter.acquire()
        times.append(clock.now)
    # the 4th waits for the 1st to be 10 s old (t=10), the 5th for the 2nd (t=14), the 6th
    # for the 3rd (t=18): a sliding window, not a fixed one that would reset at t=10
    assert times == pytest.approx([0.0, 4.0, 8.0, 10.0, 14.0, 18.0], abs=1e-9)


def test_rate_limiter_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="period"):
        RateLimiter(5, 0.0)


def test_retries_pass_the_rate_limit_too(api: ApiServer, clock: FakeClock) -> None:
    limiter = RateLimiter(1, 60.0, clock=clock, sleep=clock.sleep)
    api.script(Reply(500, b""), Reply(200, REPORT))
    fetch(api, clock, limiter=limiter, backoff=5.0)
    # backoff 5 s, then the limiter waits the rest of the minute since the first attempt
    assert clock.sleeps == pytest.approx([5.0, 55.0], abs=1e-9)


# --------------------------------------------------------------------------------------------
# read_remote and fetch_pair
# --------------------------------------------------------------------------------------------
def test_read_remote_reads_what_read_report_reads(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(200, REPORT))
    got = ttstats.read_remote(
        request(),
        base_url=api.base_url,
        allow_http=True,
        limiter=RateLimiter(clock=clock, sleep=clock.sleep),
    )
    want = ttstats.read_report(REPORT, version=2)
    assert got.recipes == want.recipes and got.steps == want.steps
    np.testing.assert_array_equal(got.count, want.count)


def test_read_remote_masks_a_password_the_server_wrote_into_the_report(
    api: ApiServer, clock: FakeClock
) -> None:
    """A body with the password as stray text and in an unknown attribute: the parser's
    warnings name both, so read_remote masks them, emitted and kept, and in strict mode the
    error."""
    escaped = PASSWORD.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&apos;")
    body = REPORT.replace(b"<reports>", f"<reports>stray {escaped}".encode(), 1).replace(
        b"<report ", f'<report note="password={PASSWORD_ON_WIRE}" '.encode(), 1
    )
    kwargs: dict[str, Any] = {
        "base_url": api.base_url,
        "allow_http": True,
        "limiter": RateLimiter(clock=clock, sleep=clock.sleep),
    }
    api.script(Reply(200, body))
    with pytest.warns(ttstats.ReportRepairWarning) as emitted:
        report = ttstats.read_remote(request(), **kwargs)
    kept = " | ".join(str(w) for w in report.warnings)
    assert "stray" in kept and "note" in kept and "***" in kept
    for text in (kept, *(str(w.message) for w in emitted)):
        assert_no_secret(text)
    api.script(Reply(200, body))
    with pytest.raises(ReportParseError) as info:
        ttstats.read_remote(request(), strict=True, **kwargs)
    assert "***" in str(info.value)
    assert_no_secret(chain_text(info.value))


def test_read_remote_masks_a_message_only_the_parser_recognises(
    api: ApiServer, clock: FakeClock
) -> None:
    """A <message> in UTF-16: the client's byte-level look misses it, the parser raises it."""
    escaped = PASSWORD.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&apos;")
    text = f'<?xml version="1.0" encoding="UTF-16"?><message code="401">bad {escaped}</message>'
    api.script(Reply(200, text.encode("utf-16")))
    with pytest.raises(TTApiError) as info:
        ttstats.read_remote(
            request(),
            base_url=api.base_url,
            allow_http=True,
            limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        )
    assert info.value.code == 401 and info.value.message == "bad ***"
    assert_no_secret(chain_text(info.value))
    assert_no_secret(repr(info.value.args))


def test_read_remote_raises_the_api_error(api: ApiServer, clock: FakeClock) -> None:
    api.script(Reply(401, MESSAGE_401))
    with pytest.raises(TTApiError) as info:
        ttstats.read_remote(
            request(),
            base_url=api.base_url,
            allow_http=True,
            limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        )
    assert info.value.code == 401


def test_fetch_pair_is_ready_for_extreme_order_sensitivity(
    api: ApiServer, clock: FakeClock
) -> None:
    from ttstats.simulate import ExperimentSpec, LogNormal, with_and_without_extremes

    spec = ExperimentSpec(
        n_samples=7,
        seed=3,
        traffic=400.0,
        revenue=LogNormal(3.5, 0.6),
        steps=("Entry", "Page Count", "Order Confirmation"),
        rates=[1.0, 0.9, 0.08],
    )
    with_xml, without_xml = with_and_without_extremes(spec, planted={"Experience B": [4000.0] * 8})

    def answer(target: str) -> Reply:
        excluded = "excludeExtremeOrders=true" in target
        return Reply(200, without_xml if excluded else with_xml)

    api.default = answer
    with_x, without_x = ttstats.fetch_pair(
        request(exclude_extreme_orders=True),  # ignored: both are fetched
        base_url=api.base_url,
        allow_http=True,
        sleep=clock.sleep,
        limiter=RateLimiter(clock=clock, sleep=clock.sleep),
    )
    assert api.queries == [
        QUERY,
        QUERY.replace("&version=2", "&excludeExtremeOrders=true&version=2"),
    ]
    result = ttstats.extreme_order_sensitivity(
        with_x, without_x, control="Experience A", steps=["Order Confirmation"]
    )
    want = ttstats.extreme_order_sensitivity(
        ttstats.read_report(with_xml),
        ttstats.read_report(without_xml),
        control="Experience A",
        steps=["Order Confirmation"],
    )
    assert result.flips().equals(want.flips()) and len(want.flips()) > 0
