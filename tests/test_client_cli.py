"""``ttstats fetch``: credentials from the environment, the exact request, the file written
atomically (nothing, not even a temporary file, on failure), one line and status 2 on errors,
and never the password."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ttstats.cli import example_report_path, main
from ttstats.client import RateLimiter
from ttstats.client import _fetch as fetch_module

from ._api_server import PASSWORD, PASSWORD_ON_WIRE, ApiServer, Reply, assert_no_secret
from .conftest import sample

REPORT = sample("v2-small.xml").read_bytes()
MESSAGE_401 = sample("error-401.xml").read_bytes()
ARGS = ["fetch", "--campaign", "4711", "--start", "2009-08-03", "--end", "2009-08-31"]
QUERY = (
    f"client=acme&email=ann@example.com&password={PASSWORD_ON_WIRE}&operation=report"
    "&campaignId=4711&start=2009-08-03&end=2009-08-31&resolution=day&version=2"
)


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer.running() as server:
        yield server
    assert server.errors == [], "the test server failed to answer"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TT_CLIENT", "acme")
    monkeypatch.setenv("TT_EMAIL", "ann@example.com")
    monkeypatch.setenv("TT_PASSWORD", PASSWORD)
    monkeypatch.delenv("TT_BASE_URL", raising=False)

    def refuse(seconds: float) -> None:
        raise AssertionError(f"the rate limiter tried to sleep {seconds} s")

    monkeypatch.setattr(fetch_module, "DEFAULT_LIMITER", RateLimiter(sleep=refuse))


def fetch(api: ApiServer, *args: str) -> list[str]:
    return [*ARGS, "--base-url", api.base_url, "--allow-http", *args]


def one_clean_line(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("ttstats: "), err
    assert "Traceback" not in err
    assert_no_secret(err)


def test_fetch_writes_the_report(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.script(Reply(200, REPORT))
    out = tmp_path / "report.xml"
    assert main(fetch(api, "-o", str(out))) == 0
    assert out.read_bytes() == REPORT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]
    assert api.queries == [QUERY]
    captured = capsys.readouterr()
    assert captured.out == ""
    one_clean_line(captured.err)
    assert f"wrote {out}: {len(REPORT):,} bytes, 3 report(s), 2 sample(s)" in captured.err


def test_every_option_goes_on_the_wire(api: ApiServer, tmp_path: Path) -> None:
    api.script(Reply(200, REPORT))
    args = fetch(
        api,
        "--resolution", "week",
        "--segment", "allSegments",
        "--type", "visitor",
        "--environment", "QA hosts",
        "--version", "1",
        "--exclude-extreme-orders",
        "--show-deleted",
        "-o", str(tmp_path / "r.xml"),
    )  # fmt: skip
    assert main(args) == 0
    assert api.queries == [
        f"client=acme&email=ann@example.com&password={PASSWORD_ON_WIRE}&operation=report"
        "&campaignId=4711&start=2009-08-03&end=2009-08-31&type=visitor"
        "&environment=QA%20hosts&resolution=week&segment=allSegments"
        "&showDeletedExperiences=true&excludeExtremeOrders=true&version=1"
    ]


def test_fetch_to_standard_output(
    api: ApiServer, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    api.script(Reply(200, REPORT))
    assert main(fetch(api, "-o", "-")) == 0
    captured = capsysbinary.readouterr()
    assert captured.out == REPORT and captured.err == b""


def test_api_error_is_one_line_and_writes_nothing(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.script(Reply(401, MESSAGE_401))
    assert main(fetch(api, "-o", str(tmp_path / "report.xml"))) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "API error 401: Invalid email or password supplied. Email:" in err
    assert list(tmp_path.iterdir()) == []


def test_half_a_document_leaves_no_file_behind(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.script(Reply(200, REPORT[: len(REPORT) // 2]))
    assert main(fetch(api, "-o", str(tmp_path / "report.xml"))) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "not a readable report, nothing written" in err
    assert list(tmp_path.iterdir()) == []  # no report, no temporary file


def test_cut_off_transfer_leaves_no_file_behind(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.script(Reply(200, REPORT[:100], declared_length=len(REPORT)))
    assert main(fetch(api, "--retries", "0", "-o", str(tmp_path / "report.xml"))) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "cut off" in err and "password=***" in err
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.xml"
    out.write_bytes(b"yesterday's report")
    api.script(Reply(200, REPORT[: len(REPORT) // 3]))
    assert main(fetch(api, "-o", str(out))) == 2
    assert out.read_bytes() == b"yesterday's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]


def test_slow_server_times_out(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.script(Reply(200, REPORT, delay=30.0))
    args = fetch(api, "--timeout", "0.2", "--retries", "0", "-o", str(tmp_path / "r.xml"))
    assert main(args) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "no answer within 0.2 s" in err and f"{api.base_url}/api?client=acme" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("missing", ["TT_CLIENT", "TT_EMAIL", "TT_PASSWORD"])
def test_missing_credentials_name_the_variables(
    api: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    monkeypatch.delenv(missing)
    assert main(fetch(api, "-o", str(tmp_path / "r.xml"))) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "set TT_CLIENT, TT_EMAIL and TT_PASSWORD" in err and f"(missing: {missing})" in err
    assert api.targets == []


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--start", "2009-08-31", "--end", "2009-08-03"], "start must come before end"),
        (["--start", "03.08.2009"], "start must be YYYY-MM-DD or YYYY-MM-DDTHH:mm"),
        (["--resolution", "Day"], "invalid choice: 'Day'"),
        (["--type", "visits"], "invalid choice: 'visits'"),
        (["--version", "3"], "invalid choice: 3"),
        (["--campaign", "abc"], "--campaign: must be a positive integer"),
        (["--timeout", "0"], "--timeout: must be a positive number of seconds"),
        (["--retries", "-1"], "--retries: must be an integer >= 0"),
    ],
)
def test_bad_options_are_one_line(
    api: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expect: str,
) -> None:
    try:
        status = main([*fetch(api, "-o", str(tmp_path / "r.xml")), *args])
    except SystemExit as stop:  # argparse refuses before the command runs
        status = int(stop.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err and "Traceback" not in err
    assert_no_secret(err)
    assert api.targets == [] and list(tmp_path.iterdir()) == []


def test_no_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "-o", str(tmp_path / "r.xml")]) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "pass base_url (--base-url), e.g. https://<host>, or set TT_BASE_URL" in err


def test_plain_http_needs_allow_http(
    api: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--base-url", api.base_url, "-o", str(tmp_path / "r.xml")]) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "--allow-http allows http://" in err and "allow_http=True" not in err
    assert api.targets == []


def test_a_bad_date_is_told_before_missing_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TT_CLIENT", "TT_EMAIL", "TT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    args = ["fetch", "--campaign", "1", "--start", "03/08/2009", "--end", "2009-08-31"]
    assert main([*args, "-o", str(tmp_path / "r.xml")]) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "start must be YYYY-MM-DD or YYYY-MM-DDTHH:mm, not '03/08/2009'" in err


def test_missing_httpx(
    api: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    assert main(fetch(api, "-o", str(tmp_path / "r.xml"))) == 2
    err = capsys.readouterr().err
    one_clean_line(err)
    assert 'pip install "ttstats[fetch]"' in err
    assert api.targets == []


def test_fetch_in_a_real_process(api: ApiServer, tmp_path: Path) -> None:
    """The entry point end to end, the address from TT_BASE_URL; then inspect reads the file."""
    api.script(Reply(200, REPORT))
    env = {**os.environ, "TT_BASE_URL": api.base_url}
    out = tmp_path / "report.xml"
    done = subprocess.run(
        [sys.executable, "-m", "ttstats.cli", *ARGS, "--allow-http", "-o", str(out)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == REPORT and api.queries == [QUERY]
    assert_no_secret(done.stdout.decode() + done.stderr.decode())
    inspect = subprocess.run(
        [sys.executable, "-m", "ttstats.cli", "inspect", str(out)],
        capture_output=True,
        timeout=120,
    )
    assert inspect.returncode == 0 and b"reports   3" in inspect.stdout


def test_readme_two_commands_fetch_and_read_out(
    api: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's "Fetching a report" commands, as written, against the local server."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Fetching a report\n", 1)[1]
    block = section.split("Then two commands fetch a report and read it out:", 1)[1]
    commands = block.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [c.split()[:2] for c in commands] == [["ttstats", "fetch"], ["ttstats", "readout"]]
    api.script(Reply(200, example_report_path().read_bytes()))
    monkeypatch.setenv("TT_BASE_URL", api.base_url)
    monkeypatch.chdir(tmp_path)
    assert main([*shlex.split(commands[0])[1:], "--allow-http"]) == 0
    assert api.queries == [QUERY]
    assert main(shlex.split(commands[1])[1:]) == 0
    assert "Readout: report.xml" in capsys.readouterr().out
