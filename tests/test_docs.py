"""Documentation stays true: every setting is documented."""

from opendata_sozial.config import Settings
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`ODS_{name.upper()}`" in text, name
        assert field.description, name
