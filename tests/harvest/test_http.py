"""The HTTP client against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from federator.errors import SourceError
from federator.harvest.http import USER_AGENT, HttpClient
from federator.sim import RegisterServer


def client(**kw: float) -> HttpClient:
    settings = {"timeout": 5, "retries": 3, "backoff": 0.01, **kw}
    return HttpClient.from_settings(settings)


def test_retries_503_then_succeeds_and_records_statuses(registers: RegisterServer) -> None:
    registers.registers.put("a.json", b"[]")
    registers.registers.fault("/files/a.json", "503", "503")
    c = client()
    resp = c.request("GET", registers.file_url("a.json"))
    assert resp.status == 200 and resp.body == b"[]"
    assert c.statuses["503"] == 2 and c.statuses["200"] == 1


def test_honours_retry_after_on_429(registers: RegisterServer) -> None:
    registers.registers.put("a.json", b"[]")
    registers.registers.fault("/files/a.json", "429")
    started = time.monotonic()
    resp = client().request("GET", registers.file_url("a.json"))
    assert resp.status == 200
    assert time.monotonic() - started >= 0.9  # the server asked for Retry-After: 1


def test_register_that_stays_down_fails_with_the_reason(registers: RegisterServer) -> None:
    registers.registers.put("a.json", b"[]")
    registers.registers.fault("/files/a.json", *["503"] * 10)
    with pytest.raises(SourceError) as err:
        client().request("GET", registers.file_url("a.json"))
    assert err.value.code == "unreachable"
    assert "after 3 retries" in err.value.message


def test_connection_refused_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError) as err:
        client().request("GET", f"http://127.0.0.1:{port}/x.json")
    assert err.value.code == "unreachable"


def test_size_cap(registers: RegisterServer) -> None:
    registers.registers.put("big.json", b"[" + b"0," * 5000 + b"0]")
    with pytest.raises(SourceError) as err:
        client(max_bytes=1000).request("GET", registers.file_url("big.json"))
    assert err.value.code == "too_large"
    assert "larger than the cap of 1,000 bytes" in err.value.message


def test_truncated_body_is_an_error(registers: RegisterServer) -> None:
    registers.registers.fault("/files/a.json", *["truncate"] * 5)
    with pytest.raises(SourceError) as err:
        client().request("GET", registers.file_url("a.json"))
    assert err.value.code in ("truncated", "unreachable")


def test_redirect_to_another_host_is_refused(registers: RegisterServer) -> None:
    registers.registers.fault("/files/a.json", "redirect:http://127.0.0.2:9/elsewhere.json")
    with pytest.raises(SourceError) as err:
        client().request("GET", registers.file_url("a.json"))
    assert err.value.code == "redirect_other_host"
    assert "127.0.0.2:9" in err.value.message


def test_same_host_redirect_is_followed(registers: RegisterServer) -> None:
    registers.registers.put("b.json", b"[1]")
    registers.registers.fault("/files/a.json", "redirect:/files/b.json")
    assert client().request("GET", registers.file_url("a.json")).body == b"[1]"


def test_user_agent_names_federator(registers: RegisterServer) -> None:
    registers.registers.put("a.json", b"[]")
    client().request("GET", registers.file_url("a.json"))
    assert registers.registers.headers[-1]["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("federator/")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_the_environments_proxy_carries_every_page(
    registers: RegisterServer, no_proxies: pytest.MonkeyPatch
) -> None:
    """Read once a harvest, as requests reads it: every request of the harvest goes through
    the proxy the environment names."""
    no_proxies.setenv("http_proxy", registers.url)
    c = client()
    c.begin()
    for _ in range(2):
        with pytest.raises(SourceError) as err:  # the proxy is the test's server: a 404
            c.request("GET", "http://register.invalid/files/a.json")
        assert err.value.code == "http_404"
    asked = [path for _, path, _ in registers.registers.requests]
    assert asked == ["http://register.invalid/files/a.json"] * 2


def test_no_proxy_and_netrc_from_the_environment(
    registers: RegisterServer, no_proxies: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    no_proxies.setenv("http_proxy", f"http://127.0.0.1:{dead}")
    no_proxies.setenv("no_proxy", "127.0.0.1")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password s3cret\n")
    no_proxies.setenv("NETRC", str(netrc))
    registers.registers.put("a.json", b"[]")
    c = client()
    c.begin()
    assert c.request("GET", registers.file_url("a.json")).body == b"[]"
    assert registers.registers.headers[-1]["Authorization"] == "Basic cmVhZGVyOnMzY3JldA=="
    # Credentials of the source's own come first, as with requests.
    no_proxies.setenv("TOKEN", "t0ken")
    c.begin(token_env="TOKEN")
    c.request("GET", registers.file_url("a.json"))
    assert registers.registers.headers[-1]["Authorization"] == "Bearer t0ken"
