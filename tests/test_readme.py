"""The READMEs document every environment variable the service reads."""

from pathlib import Path

import pytest

from app.config import VARIABLES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("readme", ["README.md", "README.pt-BR.md"])
def test_readme_lists_every_variable(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")

    missing = [name for name, *_ in VARIABLES if f"`{name}`" not in text]

    assert missing == []
