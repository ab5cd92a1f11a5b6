"""The README's YAML examples, read as the tests run them.

The tests take the examples from README.md itself, so that what a user pastes
is what was tested: the two cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

import yaml

README = Path(__file__).resolve().parents[1] / "README.md"

_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section(heading: str) -> str:
    """The text under the README's ``## heading``, up to the next such heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : None if end == -1 else end]


def yaml_blocks(heading: str) -> list[Any]:
    """Each ```yaml block under the README's ``## heading``, parsed, in order."""
    return [yaml.safe_load(block) for block in _YAML_BLOCK.findall(section(heading))]
