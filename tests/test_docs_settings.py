"""The README documents every setting: its ``EUREGATE_*`` variable, its default, its meaning."""

from __future__ import annotations

import json

from gateway.infra.config import Settings
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def settings_rows() -> dict[str, list[str]]:
    """The README's table of settings: each row's cells by the setting it names."""
    section = README.split("\n### Settings\n", 1)[1].split("\n#", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 4:
            name = cells[0].strip("`")
            assert name not in rows, f"{name} is in the table twice"
            rows[name] = cells
    return rows


def shown_default(value: object) -> str:
    """A default as the table writes it: as the variable would be set, or in words."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return f"`{json.dumps(value, separators=(',', ':'))}`" if value else "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def test_every_setting_is_in_the_readme_with_its_variable_and_default() -> None:
    rows = settings_rows()
    prefix = Settings.model_config.get("env_prefix", "")
    assert sorted(Settings.model_fields.keys() - rows.keys()) == [], "not in the README"
    assert sorted(rows.keys() - Settings.model_fields.keys()) == [], "in the README, not a setting"
    for name, field in Settings.model_fields.items():
        _, variable, default, meaning = rows[name]
        assert variable == f"`{prefix}{name.upper()}`"
        assert default.startswith(shown_default(field.get_default(call_default_factory=True))), name
        assert meaning
