"""Configuration: the contract's keys, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from federator import config, configcheck
from federator.errors import ConfigError

DATA = Path(__file__).parent / "data" / "config"
GOOD = DATA / "good.yaml"


def test_good_config_reads_every_contract_key() -> None:
    cfg = configcheck.load(GOOD)
    assert cfg.base_iri == "https://algoritmes.example.org/"
    assert cfg.data_dir == GOOD.parent / "var"  # relative to the config file
    assert cfg.server.port == 8000 and cfg.harvest.retries == 5
    national, utrecht = cfg.sources
    assert national.priority == 10 and national.schedule == "0 */6 * * *"
    assert utrecht.priority == 20  # decentral registers win by default
    assert utrecht.url == str((GOOD.parent / "registers" / "utrecht.csv").resolve())
    assert utrecht.schedule == {"every": "6h"}


def test_absent_sections_are_their_declared_defaults() -> None:
    cfg = configcheck.load(GOOD)
    assert cfg.guard == config.GuardSettings() and cfg.guard.max_withdrawn_share == 0.10
    assert cfg.history.keep_runs == 200
    assert cfg.harvest == config.HarvestSettings(timeout=30, retries=5, backoff=0.5)
    assert cfg.harvest.max_bytes == 200 * 1024 * 1024
    assert cfg.server == config.ServerSettings(host="127.0.0.1", port=8000, query_timeout=30)
    assert cfg.server.result_limit == 10000
    assert cfg.resolve == config.ResolveSettings(same=(), different=(), threshold=None)
    assert not cfg.publish


def test_every_key_set() -> None:
    cfg = configcheck.load(DATA / "full.yaml")
    assert cfg.server == config.ServerSettings("0.0.0.0", 8080, 12.5, 500)
    assert cfg.harvest == config.HarvestSettings(10, 4, 0.25, 1000)
    assert cfg.resolve.same == ([["national", "1"], ["gemeente-utrecht", "U-1"]],)
    assert cfg.resolve.different == ([["national", 2], ["gemeente-utrecht", "U-2"]],)
    assert cfg.resolve.threshold == 0.7
    assert cfg.guard.max_withdrawn_share == 0.5 and cfg.history.keep_runs == 20
    assert cfg.publish.dump and cfg.publish.target("oxigraph").token_env == "TARGET_TOKEN"
    src = cfg.source("gemeente-utrecht")
    assert (src.username_env, src.password_env, src.token_env) == ("SRC_USER", "SRC_PASS", None)
    assert src.mapping == DATA / "mapping.yaml" and src.timeout == 600
    assert cfg.source("national").token_env == "SRC_TOKEN"
    assert cfg.source("national").schedule == {"every": "6h", "jitter": 30}
    assert cfg.data_dir == Path("/tmp/federator-config-test")


def broken(tmp_path: Path, old: str, new: str, base: Path = GOOD) -> Path:
    path = tmp_path / "federator.yaml"
    text = base.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def error(path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        configcheck.load(path)
    return str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            "    format: algoritmeregister-csv",
            "    format: excel",
            15,
            "sources[1].format: unknown format 'excel'",
        ),
        ("    priority: 10", "    priorty: 10", 10, "sources[0].priorty: unknown key"),
        ("server: {host", "sever: {host", 3, "sever: unknown key"),
        ("  - id: gemeente-utrecht", "  - id: national", 12, "duplicate source id 'national'"),
        ("    level: municipal", "    level: city", 14, "unknown level 'city'"),
        ("    schedule: {every: 6h}", "    schedule: {every: soon}", 18, "invalid interval"),
        ('    schedule: "0 */6 * * *"', '    schedule: "0 */6 * *"', 11, "invalid cron expression"),
        ("  - id: gemeente-utrecht", "  - id: Gemeente Utrecht", 12, "must match [a-z0-9-]+"),
        ("base_iri: https://algoritmes.example.org/", "base_iri: algoritmes", 2, "base_iri"),
        ("data_dir: var", "data_dir: var\ndata_dir: x", 2, "duplicate key"),
        ("    title: Algoritmeregister\n", "    title: [Algoritmeregister\n", 7, "malformed YAML"),
        ("    priority: 10", "    priority: high", 10, "expected int, got str"),
        # Unknown keys at every depth: each section, a source, a schedule mapping.
        ("server: {host", "server: {hots: x, host", 3, "server.hots: unknown key"),
        ("data_dir: var", "data_dir: var\nguard: {max_withdrawn_shar: 0.5}", 2, "guard.max_"),
        ("data_dir: var", "data_dir: var\nhistory:\n  keep: 5", 3, "history.keep: unknown key"),
        ("data_dir: var", "data_dir: var\nharvest: {retry: 5}", 2, "harvest.retry: unknown key"),
        ("data_dir: var", "data_dir: var\nresolve: {same: [], treshold: 1}", 2, "resolve.tresh"),
        ("data_dir: var", "data_dir: var\npublish: {dumps: true}", 2, "publish.dumps: unknown"),
        ("{every: 6h}", "{every: 6h, jiter: 5}", 18, "sources[1].schedule.jiter: unknown key"),
        ("data_dir: var", "data_dir: var\nlanguage: nl", 2, "language: unknown key"),
        # Wrong kinds and bounds in sections.
        ("data_dir: var", "data_dir: var\nguard: {max_withdrawn_share: 2}", 2, "at most 1"),
        ("data_dir: var", "data_dir: var\nguard: {max_withdrawn_share: x}", 2, "expected int or"),
        ("data_dir: var", "data_dir: var\nhistory: {keep_runs: 0}", 2, "keep_runs: must be at "),
        ("data_dir: var", "data_dir: var\nhistory: {keep_runs: true}", 2, "expected int, got b"),
        ("data_dir: var", "data_dir: var\nharvest: {retries: 2}", 2, "retries: must be at least"),
        ("data_dir: var", "data_dir: var\nguard: [1]", 2, "guard: expected dict, got list"),
        ("port: 8000}", "port: 70000}", 3, "server.port: must be at most 65535"),
        ("{every: 6h}", "{every: 6h, jitter: -1}", 18, "schedule.jitter: must not be negative"),
        ("{every: 6h}", "{jitter: 5}", 18, "sources[1].schedule.every: is required"),
        ("    url: registers/utrecht.csv", "    url: ftp://x/u.csv", 16, "sources[1].url: must"),
        ("    url: registers/utrecht.csv", "    url: 12", 16, "expected str, got int"),
        ("    level: municipal\n", "", 12, "sources[1].level: is required"),
        ("/gemeente/gm0344", "/gemeente/{gm0344}", 17, "sources[1].organisation: is not an IRI"),
        (
            "data_dir: var",
            "data_dir: var\nresolve:\n  same:\n    - [[national, 1]]",
            4,
            "resolve.same[0]: not a pair",
        ),
    ],
)
def test_bad_config_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    path = broken(tmp_path, old, new)
    message = error(path)
    assert words in message
    assert f"{path}:{line}" in message, message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('https://algoritmes.example.org/">', "Invalid IRI code point"),
        ("https://algoritmes.example.org/a b/", "Invalid IRI code point"),
        ("https://algoritmes.example.org/{x}/", "Invalid IRI code point"),
        ("https://algoritmes.example.org/%zz/", "Invalid IRI percent encoding"),
        ("https://algoritmes.example.org/#", "no user, query or fragment"),
        ("https://algoritmes.example.org/?a=b", "no user, query or fragment"),
        ("https://admin:pw@algoritmes.example.org/", "no user, query or fragment"),
        ("ftp://algoritmes.example.org/", "absolute http(s) IRI"),
        ("http:///x/", "absolute http(s) IRI"),
        ("https://algoritmes.example.org:99999/", "absolute http(s) IRI"),
        ("/relative/", "absolute http(s) IRI"),
    ],
)
def test_base_iri_is_an_iri_the_store_accepts(tmp_path: Path, value: str, words: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(f"data_dir: var\nbase_iri: '{value}'\n", encoding="utf-8")
    message = error(path)
    assert f"{path}:2: base_iri: must be an absolute http(s) IRI" in message
    assert words in message


def test_base_iri_gets_its_slash(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("base_iri: https://example.org/reg\n", encoding="utf-8")
    assert configcheck.load(path).base_iri == "https://example.org/reg/"


SOURCE = """sources:
  - id: a
    level: municipal
    format: algoritmeregister-json
    url: https://example.org/a.json
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    password: hunter2-secret\n", ":6: sources[0].password: credentials never go in"),
        ("    token: hunter2-secret\n", ":6: sources[0].token: credentials never go in"),
        ("    user: hunter2-secret\n", ":6: sources[0].user: credentials never go in"),
        ("    username_env: U\n", ":2: sources[0].password_env: username_env and password_env"),
        ("    password_env: P\n", ":2: sources[0].username_env: username_env and password_env"),
        (
            "    token_env: T\n    username_env: U\n    password_env: P\n",
            ":6: sources[0].token_env: use either",
        ),
        ("    token_env: not-a-name\n", ":6: sources[0].token_env: 'not-a-name' is not an"),
    ],
)
def test_source_credentials_are_names_of_variables(
    tmp_path: Path, extra: str, expected: str
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(SOURCE + extra, encoding="utf-8")
    message = error(path)
    assert expected in message and message.startswith(str(path))
    assert "hunter2" not in message  # a secret written in the file is not repeated


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@example.org/a.json",
        "https://hunter2@example.org/a.json",
        "https://example.org/a.json?token=hunter2",
        "https://example.org/a.json?page=1&api_key=hunter2",
        "https://example.org/a.json?Access-Token=hunter2",
        "https://example.org/a.json?password=hunter2",
    ],
)
def test_no_secret_in_a_source_url(tmp_path: Path, url: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(SOURCE.replace("https://example.org/a.json", url), encoding="utf-8")
    message = error(path)
    assert f"{path}:5: sources[0].url: credentials never go in the URL" in message
    assert "hunter2" not in message


def test_source_credentials_and_harmless_query_parameters(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    url = "https://example.org/a.json?page=1&monkey=2&sort=key"
    text = SOURCE.replace("https://example.org/a.json", url)
    path.write_text(text + "    token_env: REGISTER_TOKEN\n", encoding="utf-8")
    src = configcheck.load(path).sources[0]
    assert src.url == url and src.token_env == "REGISTER_TOKEN" and src.username_env is None


ANCHORS = """data_dir: var
sources:
  - id: a
    level: municipal
    format: algoritmeregister-json
    url: https://example.org/a.json
    schedule: &every {every: 6h}
  - id: b
    level: municipal
    format: algoritmeregister-json
    url: https://example.org/b.json
    schedule: *every
"""


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(ANCHORS, encoding="utf-8")
    assert [s.schedule for s in configcheck.load(path).sources] == [{"every": "6h"}] * 2


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    lines = ["data_dir: var", "x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    for i in range(1, 9):  # 10**9 values once expanded
        lines.append(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]")
    path = tmp_path / "f.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = error(path)
    assert f"{path}:5: YAML aliases expand to more than" in message


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("data_dir: var\nserver: &s\n  host: *s\n", encoding="utf-8")
    assert f"{path}:3: a YAML alias may not refer to a node that contains it" in error(path)


def test_odd_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("data_dir: var\n? [a, b]\n: 1\n", encoding="utf-8")
    assert f"{path}:2: a key must be a plain value" in error(path)
    path.write_text("data_dir: var\nserver: &s {host: a}\nharvest:\n  <<: *s\n", encoding="utf-8")
    assert f"{path}:4: YAML merge keys (<<) are not supported" in error(path)
    path.write_text("- a\n- b\n", encoding="utf-8")
    assert f"{path}:1: the top level must be a mapping" in error(path)
    path.write_text("data_dir: " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    assert "nested too deeply" in error(path)
    path.write_bytes(b"data_dir: \xff\n")
    assert "not UTF-8" in error(path)


def test_unreadable_mapping_file_is_a_config_error(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("extends: algoritmeregister.yaml\nfields:\n  name: {property: x:y}\n")
    path = broken(tmp_path, "    priority: 10", f"    mapping: {mapping}")
    message = error(path)
    assert f"{path}:10: sources[0].mapping" in message and "unknown prefix" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        configcheck.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["federator.yaml", "docker.yaml"])
def test_shipped_configs_load(name: str) -> None:
    cfg = configcheck.load(Path(__file__).resolve().parents[1] / "config" / name)
    assert [s.id for s in cfg.sources] == ["national"]
