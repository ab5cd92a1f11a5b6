"""The sensitivity number: Obico's slider, per printer."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.obico.const import CONF_ACTION, CONF_SENSITIVITY
from tests.conftest import PRINTER_ID, WARNING_ONLY, capture_alerts, next_poll, state_of
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer
from tests.test_config_flow import start_printer_reconfigure, suggested_values

SENSITIVITY = "number.x1c_sensitivity"
RISK = "sensor.x1c_failure_risk"
DETECTION_STATE = "sensor.x1c_detection_state"


async def set_sensitivity(hass: HomeAssistant, value: float) -> None:
    """Move the slider, as the dashboard does."""
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": SENSITIVITY, "value": value},
        blocking=True,
    )


async def test_the_slider_runs_as_obicos_and_starts_at_the_configured_value(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """0.5 to 2.0 in steps of 0.05, a slider; the printer's setting to begin with."""
    state = hass.states.get(SENSITIVITY)
    assert state is not None
    assert state.state == "1.0"
    assert state.attributes["min"] == 0.5
    assert state.attributes["max"] == 2.0
    assert state.attributes["step"] == 0.05
    assert state.attributes["mode"] == "slider"


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_a_new_sensitivity_judges_from_the_next_frame_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """The risk shows it at once; the next frame is judged with it; no reload.

    At 1.0 the seeded print would warn at its 5th frame of WARNING_ONLY; at 2.0
    it warns at the 2nd.
    """
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    alerts = capture_alerts(hass)
    ml_server.script(*([WARNING_ONLY] * 5))
    await next_poll(hass, freezer)
    assert (state_of(hass, RISK), state_of(hass, DETECTION_STATE)) == ("10.11", "safe")

    await set_sensitivity(hass, 2.0)
    await hass.async_block_till_done()
    # The same frame, seen with the new sensitivity: no frame was analyzed.
    assert (state_of(hass, RISK), state_of(hass, DETECTION_STATE)) == ("20.22", "safe")
    assert len(ml_server.requests) == 1
    assert alerts == []
    # The printer went on as it was: its entry did not reload.
    assert printing_entry.runtime_data.printers[PRINTER_ID] is printer
    assert printer.verdict.prediction.current_frame_num == 101

    await next_poll(hass, freezer)
    assert (state_of(hass, RISK), state_of(hass, DETECTION_STATE)) == (
        "38.41",
        "warning",
    )
    assert [alert["event_type"] for alert in alerts] == ["warning"]


async def test_the_sensitivity_is_kept_in_the_printers_settings(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    printing_entry: MockConfigEntry,
) -> None:
    """Stored with the printer, so that a restart and the reconfigure form have it."""
    await set_sensitivity(hass, 1.35)
    assert printing_entry.subentries[PRINTER_ID].data[CONF_SENSITIVITY] == 1.35
    # Home Assistant writes its config entries out a moment later.
    freezer.tick(10)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    [stored] = hass_storage["core.config_entries"]["data"]["entries"]
    [subentry] = stored["subentries"]
    assert subentry["data"][CONF_SENSITIVITY] == 1.35

    result = await start_printer_reconfigure(hass, printing_entry, PRINTER_ID)
    assert suggested_values(result)[CONF_SENSITIVITY] == 1.35
    hass.config_entries.subentries.async_abort(result["flow_id"])

    assert await hass.config_entries.async_unload(printing_entry.entry_id)
    assert await hass.config_entries.async_setup(printing_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, SENSITIVITY) == "1.35"
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    assert printer.settings.sensitivity == 1.35


async def test_the_slider_lands_on_its_steps(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """A value a float cannot hold exactly is kept as the step the user chose."""
    await set_sensitivity(hass, 0.1 + 0.2 + 0.85)
    assert printing_entry.subentries[PRINTER_ID].data[CONF_SENSITIVITY] == 1.15
    assert state_of(hass, SENSITIVITY) == "1.15"


@pytest.mark.parametrize("value", [0.45, 2.05, -1.0])
async def test_out_of_range_values_are_refused(
    hass: HomeAssistant, printing_entry: MockConfigEntry, value: float
) -> None:
    """Home Assistant refuses them before the printer sees them."""
    with pytest.raises(ServiceValidationError):
        await set_sensitivity(hass, value)
    assert state_of(hass, SENSITIVITY) == "1.0"
    assert printing_entry.subentries[PRINTER_ID].data[CONF_SENSITIVITY] == 1.0


async def test_reconfiguring_the_printer_still_reloads_it(
    hass: HomeAssistant,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Only a change the printer made itself skips the reload: others apply."""
    await set_sensitivity(hass, 1.5)
    before = printing_entry.runtime_data.printers[PRINTER_ID]
    subentry = printing_entry.subentries[PRINTER_ID]
    hass.config_entries.async_update_subentry(
        printing_entry, subentry, data={**subentry.data, CONF_SENSITIVITY: 0.8}
    )
    await hass.async_block_till_done()

    assert printing_entry.state is ConfigEntryState.LOADED
    after = printing_entry.runtime_data.printers[PRINTER_ID]
    assert after is not before
    assert after.settings.sensitivity == 0.8
    assert state_of(hass, SENSITIVITY) == "0.8"
