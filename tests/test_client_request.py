"""ReportRequest: every documented parameter, validated; the query string exactly as documented;
the password never shown. Expected query strings are written out by hand from the parameter
names and values of docs/report-format.md ("Request") and the API page."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from typing import Any

import pytest

from ttstats.client import (
    ALL_SEGMENTS,
    DEFAULT_WIRE,
    ReportRequest,
    WireNames,
    endpoint,
    find_message,
    redact,
)

from ._api_server import PASSWORD, PASSWORD_ON_WIRE, assert_no_secret

BASE = ("acme", "ann@example.com", PASSWORD, 4711, "2009-08-03", "2009-08-31")


def make(**options: Any) -> ReportRequest:
    return ReportRequest(*BASE, **options)


# --------------------------------------------------------------------------------------------
# the query string
# --------------------------------------------------------------------------------------------
def test_full_request_query_string_is_exact() -> None:
    req = ReportRequest(
        "acme",
        "ann@example.com",
        PASSWORD,
        4711,
        "2009-08-03T06:00",
        "2009-08-31T18:30",
        type="visitor",
        environment="QA hosts/EU & more",
        resolution="hour",
        segment="New visitors",
        show_deleted=True,
        exclude_extreme_orders=True,
        version=1,
    )
    expected = (
        "client=acme"
        "&email=ann@example.com"
        f"&password={PASSWORD_ON_WIRE}"
        "&operation=report"
        "&campaignId=4711"
        "&start=2009-08-03T06:00"
        "&end=2009-08-31T18:30"
        "&type=visitor"
        "&environment=QA%20hosts%2FEU%20%26%20more"
        "&resolution=hour"
        "&segment=New%20visitors"
        "&showDeletedExperiences=true"
        "&excludeExtremeOrders=true"
        "&version=1"
    )
    assert req.query_string() == expected


def test_minimal_request_sends_defaults_and_no_optional_parameters() -> None:
    req = ReportRequest("acme", "ann@example.com", "pw", 4711, "2009-08-03", "2009-08-31")
    assert req.query_string() == (
        "client=acme&email=ann@example.com&password=pw&operation=report&campaignId=4711"
        "&start=2009-08-03&end=2009-08-31&resolution=day&version=2"
    )


def test_flags_are_sent_only_when_true() -> None:
    off = make().query_string()
    assert "showDeletedExperiences" not in off and "excludeExtremeOrders" not in off
    assert (
        make(show_deleted=True)
        .query_string()
        .endswith("&resolution=day&showDeletedExperiences=true&version=2")
    )
    assert (
        make(exclude_extreme_orders=True)
        .query_string()
        .endswith("&resolution=day&excludeExtremeOrders=true&version=2")
    )


def test_all_segments() -> None:
    assert ALL_SEGMENTS == "allSegments"
    assert "&segment=allSegments&" in make(segment=ALL_SEGMENTS).query_string()


def test_wire_names_are_overridable_in_one_place() -> None:
    w = DEFAULT_WIRE
    assert (w.operation, w.show_deleted, w.exclude_extreme_orders, w.true) == (
        "report",
        "showDeletedExperiences",
        "excludeExtremeOrders",
        "true",
    )
    wire = WireNames(operation="Report", show_deleted="showDeleted", exclude_extreme_orders="xx")
    req = make(wire=wire, show_deleted=True, exclude_extreme_orders=True)
    q = req.query_string(redacted=True)
    assert q == (
        "client=acme&email=ann@example.com&password=***&operation=Report&campaignId=4711"
        "&start=2009-08-03&end=2009-08-31&resolution=day&showDeleted=true&xx=true&version=2"
    )
    with pytest.raises(ValueError, match="show_deleted"):
        WireNames(show_deleted="")


def test_dates_as_date_objects() -> None:
    req = make(resolution="hour").replace(
        start=dt.date(2009, 8, 3), end=dt.datetime(2009, 8, 4, 13, 5)
    )
    assert (req.start, req.end) == ("2009-08-03", "2009-08-04T13:05")


def test_params_are_the_decoded_pairs_in_order() -> None:
    names = [n for n, _ in make(type="visit", environment="E", segment="S").params()]
    assert names == [
        "client", "email", "password", "operation", "campaignId", "start", "end",
        "type", "environment", "resolution", "segment", "version",
    ]  # fmt: skip
    assert dict(make().params(redacted=True))["password"] == "***"
    assert dict(make().params())["password"] == PASSWORD


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"resolution": "Day"}, ValueError, "resolution must be one of 'hour', 'day'"),
        ({"resolution": "year"}, ValueError, "resolution"),
        ({"type": "Visit"}, ValueError, "type must be one of 'visit', 'visitor', 'impression'"),
        ({"type": "visits"}, ValueError, "type"),
        ({"version": 3}, ValueError, "version must be 1 or 2"),
        ({"version": True}, ValueError, "version must be 1 or 2"),
        ({"version": "2"}, ValueError, "version must be 1 or 2"),
        ({"show_deleted": "true"}, TypeError, "show_deleted must be True or False"),
        ({"exclude_extreme_orders": 1}, TypeError, "exclude_extreme_orders must be True"),
        ({"segment": ""}, ValueError, "segment must not be empty"),
        ({"environment": "  "}, ValueError, "environment must not be empty"),
        ({"environment": 3}, TypeError, "environment must be a string"),
        ({"wire": {"operation": "report"}}, TypeError, "wire must be a WireNames"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match) as info:
        make(**options)
    assert_no_secret(str(info.value))


@pytest.mark.parametrize(
    ("index", "value", "error", "match"),
    [
        (0, "", ValueError, "client must not be empty"),
        (0, None, TypeError, "client must be a string"),
        (1, " ", ValueError, "email must not be empty"),
        (2, "", ValueError, "password must not be empty"),
        (2, " \t", ValueError, "password must not be empty or white space only"),
        (2, None, TypeError, "password must be a string"),
        (3, 0, ValueError, "campaign_id must be a positive integer"),
        (3, -5, ValueError, "campaign_id must be a positive integer"),
        (3, "47x", TypeError, "campaign_id must be an integer"),
        (3, True, TypeError, "campaign_id must be an integer"),
        (3, 4.0, TypeError, "campaign_id must be an integer"),
        (4, "2009-8-3", ValueError, "start must be YYYY-MM-DD or YYYY-MM-DDTHH:mm"),
        (4, "2009-08-03 10:00", ValueError, "start must be YYYY-MM-DD"),
        (4, "\uff12\uff10\uff10\uff19-08-03", ValueError, "start must be YYYY-MM-DD"),  # fullwidth
        (4, "2009-08-\u0660\u0663", ValueError, "start must be YYYY-MM-DD"),  # Arabic-Indic
        (4, "2009-08-03T10:00:00", ValueError, "start must be YYYY-MM-DD"),
        (4, "2009-02-30", ValueError, "start is not a date in the calendar"),
        (4, "2009-08-03T24:00", ValueError, "start is not a date in the calendar"),
        (5, "2009-08-03", ValueError, "start must come before end"),
        (5, "2009-08-01", ValueError, "start must come before end"),
        (5, 20090831, TypeError, "end must be a string or a date"),
        (5, dt.datetime(2009, 9, 1, tzinfo=dt.timezone.utc), ValueError, "naive local time"),
        (5, dt.datetime(2009, 9, 1, 0, 0, 30), ValueError, "seconds"),
    ],
)
def test_bad_required_parameters_are_refused(
    index: int, value: object, error: type, match: str
) -> None:
    args: list[Any] = list(BASE)
    args[index] = value
    with pytest.raises(error, match=match) as info:
        ReportRequest(*args)
    assert_no_secret(str(info.value))


def test_campaign_id_may_be_digits() -> None:
    assert ReportRequest("a", "b@c", "p", "4711", "2009-08-03", "2009-08-04").campaign_id == 4711


def test_start_and_end_may_mix_forms() -> None:
    req = ReportRequest("a", "b@c", "p", 1, "2009-08-03", "2009-08-03T00:01")
    assert (req.start, req.end) == ("2009-08-03", "2009-08-03T00:01")


def test_request_is_immutable_and_replace_validates() -> None:
    req = make()
    with pytest.raises(AttributeError, match="immutable"):
        req.resolution = "week"  # type: ignore[misc]
    with pytest.raises(ValueError, match="resolution"):
        req.replace(resolution="weekly")
    with pytest.raises(TypeError, match="no parameter colour"):
        req.replace(colour="red")
    assert req.replace(segment="S") == make(segment="S")
    assert req.replace(segment="S") != req
    assert req == make() and hash(req) == hash(make())


# --------------------------------------------------------------------------------------------
# the password is never shown
# --------------------------------------------------------------------------------------------
def test_repr_and_str_hide_the_password() -> None:
    req = make(segment="S")
    for text in (repr(req), str(req), f"{req}", f"{req!r}", req.query_string(redacted=True)):
        assert "password='***'" in text or "password=***" in text
        assert_no_secret(text)


def test_request_is_not_pickled_but_copies() -> None:
    req = make()
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(req)
    assert copy.copy(req) is req and copy.deepcopy(req) is req


def test_redact_every_form() -> None:
    text = " | ".join(
        [
            PASSWORD,
            PASSWORD_ON_WIRE,
            PASSWORD_ON_WIRE.lower(),
            "Tr1cky+%26pass%3Dw%25rd%2B%C3%A4%2F%3F%23%27%22%5C",  # quote_plus, by hand
            repr(PASSWORD),
        ]
    )
    cleaned = redact(text, PASSWORD)
    assert_no_secret(cleaned)
    assert cleaned.count("***") == 5


def test_redact_matches_the_secret_however_its_white_space_was_reshaped() -> None:
    secret = "Zq7  Wv9\tXy"
    for shown in ("Zq7 Wv9 Xy", "Zq7\n Wv9\r\nXy", "Zq7  Wv9\tXy"):
        assert redact(f"[{shown}]", secret) == "[***]"
    assert redact("Zq7 Wv8 Xy", secret) == "Zq7 Wv8 Xy"


@pytest.mark.parametrize(
    ("text", "secret", "partial"),
    [
        ("report 2009-08-01 to 2024-01-01 campaign 12024", "\u65e5\u672c\u8a9e2024", False),
        ("campaign 1, step 1, code 401", "\u043f\u0430\u0440\u043e\u043b\u044c1", False),
        ("Invalid date ete", "\u00e9t\u00e9", False),
        ("Invalid email or password supplied; the passwords differ", "password1", True),
        ("no <report> element found: not a Performance Report", "report123", False),
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str, secret: str, partial: bool) -> None:
    """No fragment of a password (its ASCII letters, a common word it starts with) masks
    ordinary text: a message must stay readable."""
    assert redact(text, secret, partial=partial) == text


def test_redact_partial_masks_a_start_where_a_cut_leaves_it() -> None:
    secret = "Sup3rS3cretPass"
    assert redact("value 'password=Sup3rS3cr' ignored", secret, partial=True) == (
        "value 'password=***' ignored"
    )
    assert redact("Bad password: Sup3rS3cretP", secret, partial=True) == "Bad password: ***"
    assert redact("Bad password: Sup3rS3cretP", secret) == "Bad password: Sup3rS3cretP"


def test_from_env_reads_the_three_variables() -> None:
    env = {"TT_CLIENT": "acme", "TT_EMAIL": "ann@example.com", "TT_PASSWORD": PASSWORD}
    req = ReportRequest.from_env(4711, "2009-08-03", "2009-08-31", environ=env, segment="S")
    assert req == make(segment="S")
    # an argument wins over the environment
    other = ReportRequest.from_env(1, "2009-08-03", "2009-08-31", client="beta", environ=env)
    assert other.client == "beta" and other.email == "ann@example.com"


def test_from_env_uses_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TT_CLIENT", "acme")
    monkeypatch.setenv("TT_EMAIL", "ann@example.com")
    monkeypatch.setenv("TT_PASSWORD", PASSWORD)
    assert ReportRequest.from_env(4711, "2009-08-03", "2009-08-31") == make()


def test_from_env_names_what_is_missing() -> None:
    env = {"TT_CLIENT": "acme", "TT_EMAIL": "", "TT_PASSWORD": PASSWORD}
    with pytest.raises(ValueError, match=r"set TT_CLIENT, TT_EMAIL and TT_PASSWORD") as info:
        ReportRequest.from_env(4711, "2009-08-03", "2009-08-31", environ=env)
    assert str(info.value).endswith("(missing: TT_EMAIL)")
    assert_no_secret(str(info.value))


# --------------------------------------------------------------------------------------------
# the endpoint and the <message> answer
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://tt.example.com", "https://tt.example.com/api"),
        ("https://tt.example.com/", "https://tt.example.com/api"),
        ("https://tt.example.com/api", "https://tt.example.com/api"),
        ("HTTPS://tt.example.com:8443/tt/", "https://tt.example.com:8443/tt/api"),
    ],
)
def test_endpoint(base: str, expected: str) -> None:
    assert endpoint(base) == expected


@pytest.mark.parametrize(
    ("base", "match"),
    [
        ("http://tt.example.com", "plain HTTP would send the password in clear text"),
        ("ftp://tt.example.com", "must start with https://"),
        ("tt.example.com", "must start with https://"),
        ("https://user:Tr1cky@tt.example.com", "must not carry credentials"),
        ("https://tt.example.com/api?client=x", "must not carry a query"),
        ("https://", "has no host"),
        ("", "no API address: pass base_url"),
    ],
)
def test_bad_endpoints(base: str, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        endpoint(base)
    assert "Tr1cky" not in str(info.value)


def test_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TT_BASE_URL", "https://tt.example.com")
    assert endpoint() == "https://tt.example.com/api"
    monkeypatch.delenv("TT_BASE_URL")
    with pytest.raises(ValueError, match="set TT_BASE_URL"):
        endpoint()


def test_find_message_in_the_published_sample(samples_dir: Any) -> None:
    body = (samples_dir / "error-401.xml").read_bytes()
    found = find_message(body)
    assert found is not None
    assert found.text == "Invalid email or password supplied. Email:"  # the sample's text
    assert found.code is None  # the sample carries no code


@pytest.mark.parametrize(
    ("body", "text", "code"),
    [
        (b'<message code="401">No</message>', "No", 401),
        (b"<message>\n  <code>403</code>\n  Not allowed\n</message>", "Not allowed", 403),
        (b"\xef\xbb\xbf<?xml version='1.0'?><!-- x --><message code='500'/>", "", 500),
        (b"<message>a &lt; b</message>", "a < b", None),
        (b"<message>Denied: <code>7</code> try <b>later</b></message>", "Denied: try later", 7),
        (b"<message>" + b"<" * 1000 + b"</message>", "<" * 1000, None),
    ],
)
def test_find_message_forms(body: bytes, text: str, code: int | None) -> None:
    assert find_message(body) == (text, code)


@pytest.mark.parametrize(
    "body", [b"", b"<reports/>", b"<messages>x</messages>", b"text <message>x</message>"]
)
def test_find_message_only_at_the_root(body: bytes) -> None:
    assert find_message(body) is None
