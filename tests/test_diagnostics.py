"""Diagnostics: what a bug report carries, without the token."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.obico.const import CONF_HA_URL, CONF_ML_URL
from tests.conftest import TOKEN, next_poll
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer


@pytest.mark.freeze_time("2026-11-24 21:00:00+00:00")
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics of a printer two frames into a print."""
    ml_server.script([["failure", 0.25, [10.0, 20.0, 30.0, 40.0]]])
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    await next_poll(hass, freezer)

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    assert TOKEN not in str(diagnostics)
    assert diagnostics["server"]["token"] == "**REDACTED**"
    # The loopback ports change from run to run.
    assert diagnostics["server"].pop(CONF_ML_URL) == ml_server.url
    assert diagnostics["server"].pop(CONF_HA_URL).startswith("http://127.0.0.1:")
    assert diagnostics == snapshot
