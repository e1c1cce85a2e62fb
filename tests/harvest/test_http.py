"""The HTTP client against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import socket
import time

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
