"""Every configuration key is declared once, documented, and the README's table is that
declaration (regenerate it with ``python -m federator.config``)."""

from __future__ import annotations

import ast
from pathlib import Path

from federator import config, settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_has_help_text() -> None:
    rows = list(settings.keys(config.Config))
    assert len(rows) > 30
    undocumented = [name for name, setting in rows if not setting.doc.strip()]
    assert not undocumented, f"keys without help text: {undocumented}"


def test_readme_has_the_settings_table_of_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table = config.settings_table()
    assert table in section, (
        "README.md's settings table is not the declared one: replace it with the output of "
        "'python -m federator.config'"
    )


def test_every_key_of_the_table_is_one_row() -> None:
    names = [name for name, _ in settings.keys(config.Config)]
    assert len(names) == len(set(names))
    for name in ("guard.max_withdrawn_share", "history.keep_runs", "sources[].token_env"):
        assert f"| `{name}` |" in config.settings_table()


def test_config_is_a_leaf() -> None:
    """``config``, and the modules it is made of, import nothing of federator but its errors,
    the YAML reader and each other, so that every module may read the settings."""
    family = {
        f"federator.{name}"
        for name in (
            "config",
            "configkinds",
            "configpublish",
            "configsections",
            "configsources",
            "settings",
        )
    }
    for module in sorted(family):
        path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        ours = {
            name
            for name in imported
            if name.startswith("federator")
            and name not in family
            and name.rpartition(".")[0] not in family
        }
        assert ours <= {"federator.yamlpos", "federator.errors.ConfigError"}, (module, ours)
