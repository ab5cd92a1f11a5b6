"""Each leg runs the Home Assistant release it claims to, as hacs.json and the README say."""

from __future__ import annotations

import json
import os
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
import pytest

from tests.real_hass import hass_python, hass_version

REPO = Path(__file__).resolve().parents[1]
LEG = os.environ.get("OBICO_LEG")


def _release(version: AwesomeVersion | str) -> tuple[int, int]:
    """A release's year and month, 2026.2 of 2026.2.3."""
    year, month, *_ = str(version).split(".")
    return int(year), int(month)


@pytest.mark.skipif(LEG != "oldest", reason="checks the oldest leg")
def test_the_oldest_leg_runs_the_release_hacs_json_names() -> None:
    """Users of the oldest release we accept are the ones the oldest leg tests for."""
    minimum = json.loads((REPO / "hacs.json").read_text())["homeassistant"]
    assert _release(ha_version) == _release(minimum)


@pytest.mark.skipif(LEG != "newest", reason="checks the newest leg")
async def test_the_newest_leg_starts_a_release_at_least_as_new_as_the_plugins() -> None:
    """The real `hass` of the newest leg is the newest release, not the plugin's."""
    real = await hass_version(hass_python())
    assert real >= AwesomeVersion(ha_version)
    assert _release(real) > _release(
        json.loads((REPO / "hacs.json").read_text())["homeassistant"]
    )
