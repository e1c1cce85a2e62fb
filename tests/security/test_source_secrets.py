"""Secrets stay secret for sources too (issue 18, item 5): no stored or published message
holds a source URL's query or user; credentials come from environment variables."""

from __future__ import annotations

import base64
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from helpers import federator_command as federator

from federator import config
from federator.errors import ConfigError

from .hostile import Hostile, send

MARK = "Zq8vSECRETISHx"  # in a query parameter whose name config does not know as secret
FAST_RETRIES = {"retries": 3, "backoff": 0.01}


def failing(h: BaseHTTPRequestHandler, n: int) -> None:
    # An error page that redirects nowhere, and a 404 naming the URL it was asked.
    send(h, 404, f"not found: {h.path}".encode(), "text/plain")


def test_query_strings_reach_no_log_state_or_page(
    tmp_path: Path, register_config: Callable[..., Path]
) -> None:
    with Hostile(failing) as reg:
        path = register_config(
            f"{reg.url}/files/a.json?session={MARK}&format=json", harvest=FAST_RETRIES
        )
        done = federator("run", "--once", "--config", str(path))
        assert reg.requests and MARK in reg.requests[0][1]  # the register was asked as given
    assert done.returncode == 1
    assert "404" in done.stderr and MARK not in done.stderr + done.stdout
    logged = federator("log", "s", "--config", str(path))
    assert "404" in logged.stdout and MARK not in logged.stdout + logged.stderr
    # The state (run log, payload records, validators) and everything beside the store; the
    # published graph names the register's address (dct:source), as the register gives it.
    data = tmp_path / "var"
    for file in data.rglob("*"):
        if file.is_file() and not {"store", "snapshots"} & set(file.parts):
            assert MARK.encode() not in file.read_bytes(), file


def test_userinfo_in_a_source_url_is_a_configuration_error(
    register_config: Callable[..., Path],
) -> None:
    path = register_config("http://user:pa55word@127.0.0.1:9/a.json")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert "pa55word" not in err.value.message and "username_env" in err.value.message


def authorised(h: BaseHTTPRequestHandler, n: int) -> None:
    send(h, 200, b"[]" if h.headers.get("Authorization") else b"no")


@pytest.mark.parametrize("how", ["basic", "bearer"])
def test_source_credentials_come_from_the_environment(
    tmp_path: Path, register_config: Callable[..., Path], how: str
) -> None:
    keys = (
        {"username_env": "REG_USER", "password_env": "REG_PASS"}
        if how == "basic"
        else {"token_env": "REG_TOKEN"}
    )
    env = {"REG_USER": "agency", "REG_PASS": "pa55", "REG_TOKEN": "t0ken"}
    with Hostile(authorised) as reg:
        path = register_config(reg.url + "/a.json", keys, harvest=FAST_RETRIES)
        federator("run", "--once", "--config", str(path), env=env)
        sent = reg.requests[0][2].get("Authorization")
    expected = (
        "Basic " + base64.b64encode(b"agency:pa55").decode() if how == "basic" else "Bearer t0ken"
    )
    assert sent == expected
    everything = b"".join(f.read_bytes() for f in (tmp_path / "var").rglob("*") if f.is_file())
    assert b"pa55" not in everything and b"t0ken" not in everything


def test_a_missing_credential_variable_fails_the_source_in_words(
    register_config: Callable[..., Path],
) -> None:
    with Hostile(authorised) as reg:
        path = register_config(reg.url + "/a.json", {"token_env": "REG_TOKEN_NOT_SET"})
        done = federator("run", "--once", "--config", str(path))
        assert reg.requests == []
    assert done.returncode == 1 and "REG_TOKEN_NOT_SET" in done.stderr
