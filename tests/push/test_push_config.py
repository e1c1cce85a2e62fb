"""The ``publish`` section: targets checked on start-up, errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from federator import config
from federator.config import PublishConfig, TargetConfig
from federator.errors import ConfigError

HEAD = """base_iri: https://algoritmes.example.org/
sources: []
publish:
  targets:
    - name: oxigraph
      store: http://127.0.0.1:7878/store
"""


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "federator.yaml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def test_a_full_target_and_the_defaults(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        HEAD
        + """      query: http://127.0.0.1:7878/query
      username_env: FEDERATOR_TARGET_USER
      password_env: FEDERATOR_TARGET_PASSWORD
      auth: digest
      timeout: 12
      retries: 0
  dump: false
""",
    )
    assert cfg.publish == PublishConfig(
        targets=(
            TargetConfig(
                name="oxigraph",
                store="http://127.0.0.1:7878/store",
                query="http://127.0.0.1:7878/query",
                username_env="FEDERATOR_TARGET_USER",
                password_env="FEDERATOR_TARGET_PASSWORD",
                auth="digest",
                timeout=12.0,
                retries=0,
            ),
        ),
        dump=False,
    )
    assert cfg.publish  # a target is something to do after a publish
    assert not load(tmp_path, "publish: {dump: false}\n").publish  # nothing to do
    assert load(tmp_path, "publish: {dump: true}\n").publish  # a dump to write
    plain = load(tmp_path, "sources: []\n").publish
    assert plain == PublishConfig() and not plain.dump and not plain  # dumps on request only
    assert load(tmp_path, HEAD).publish.target("oxigraph").timeout == 30


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("      password: hunter2-secret\n", ":7: publish.targets[0].password: credentials never"),
        ("      token: hunter2-secret\n", ":7: publish.targets[0].token: credentials never"),
        ("      colour: blue\n", ":7: publish.targets[0].colour: unknown key"),
        # A key that is missing is named at its target.
        ("      username_env: U\n", ":5: publish.targets[0].password_env: username_env and"),
        (
            "      token_env: T\n      username_env: U\n      password_env: P\n",
            ":7: publish.targets[0].token_env: use either",
        ),
        ("      token_env: not-a-name\n", ":7: publish.targets[0].token_env: 'not-a-name' is"),
        ("      auth: ntlm\n", ":7: publish.targets[0].auth: unknown scheme 'ntlm'"),
        ("      timeout: 0\n", ":7: publish.targets[0].timeout: must be more than 0"),
        ("      retries: -1\n", ":7: publish.targets[0].retries: must not be negative"),
        ("      query: ftp://x/\n", ":7: publish.targets[0].query: must be an http(s) URL"),
        (
            "    - name: oxigraph\n      store: http://127.0.0.1:1/store\n",
            ":7: publish.targets[1].name: duplicate target name 'oxigraph'",
        ),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, extra: str, expected: str) -> None:
    message = error(tmp_path, HEAD + extra)
    assert message.startswith(str(tmp_path / "federator.yaml"))
    assert expected in message
    assert "hunter2" not in message  # a secret written in the file is not repeated


def test_credentials_in_the_url_and_bad_names(tmp_path: Path) -> None:
    text = HEAD.replace("http://127.0.0.1:7878/store", "http://admin:hunter2@127.0.0.1/store")
    message = error(tmp_path, text)
    assert ":6: publish.targets[0].store: credentials never go in the URL" in message
    assert "hunter2" not in message
    assert ":5: publish.targets[0].name: 'Oxigraph' must match" in error(
        tmp_path, HEAD.replace("name: oxigraph", "name: Oxigraph")
    )
    assert ":5: publish.targets[0].store: is required" in error(
        tmp_path, HEAD.replace("      store: http://127.0.0.1:7878/store\n", "")
    )
    assert ":7: publish.dump: expected bool" in error(tmp_path, HEAD + "  dump: daily\n")
    assert ":3: publish.targets: expected list" in error(
        tmp_path, "sources: []\npublish:\n  targets: {}\n"
    )
