"""The detection switch and the buttons of a printer."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.persistence import storage_key
from tests.conftest import (
    PRINTER_ID,
    SPAGHETTI,
    next_poll,
    notifications,
    reach_pause_level,
    watch_image_entity,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, make_png

DETECTION = "switch.x1c_detection"
DETECTION_STATE = "sensor.x1c_detection_state"
FAILURE = "binary_sensor.x1c_failure"


async def test_switching_detection_off_stops_watching_across_restarts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Off means no frames and no pause, until it is switched on again."""
    assert hass.states.get(DETECTION).state == STATE_ON
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": DETECTION}, blocking=True
    )
    assert hass.states.get(DETECTION_STATE).state == "disabled"
    assert hass_storage[storage_key(PRINTER_ID)]["data"]["enabled"] is False

    assert await hass.config_entries.async_reload(printing_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(DETECTION).state == STATE_OFF
    ml_server.script(*([SPAGHETTI] * 5))
    for _ in range(3):
        await next_poll(hass, freezer)
    assert ml_server.requests == []
    assert printer.state.pause_presses == 0

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": DETECTION}, blocking=True
    )
    await next_poll(hass, freezer)
    assert len(ml_server.requests) == 1
    assert hass.states.get(DETECTION_STATE).state == "safe"


async def test_not_a_failure_button(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """The button acknowledges the alert as not a failure."""
    await reach_pause_level(hass, freezer, ml_server, 5)
    assert hass.states.get(FAILURE).state == STATE_ON
    assert notifications(hass)

    await hass.services.async_call(
        "button", "press", {"entity_id": "button.x1c_not_a_failure"}, blocking=True
    )
    assert hass.states.get(FAILURE).state == STATE_OFF
    assert notifications(hass) == {}, "the notification is answered"
    assert printing_entry.runtime_data.printers[PRINTER_ID].verdict.alerts.feedback == (
        "not_a_failure"
    )


async def test_mute_button(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """The button mutes this print."""
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.x1c_mute_this_print"}, blocking=True
    )
    assert hass.states.get(DETECTION_STATE).state == "muted"


async def test_frames_reach_the_ml_server_at_home_assistants_own_url(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    ha_url: str,
) -> None:
    """Without an override, the frame URL is Home Assistant's internal URL."""
    await hass.config.async_update(internal_url=ha_url)
    server_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        server_entry,
        data={
            key: value for key, value in server_entry.data.items() if key != "ha_url"
        },
    )
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ml_server.requests[0].img.startswith(f"{ha_url}/api/obico/frame/")
    assert ml_server.fetched == [printer.camera.frame]


async def test_an_image_entity_can_be_the_camera(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Frames may come from an image entity, such as a printer's snapshot."""
    picture = make_png(80, 60)
    await watch_image_entity(hass, server_entry, picture)
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ml_server.fetched == [picture]
    assert hass.states.get(DETECTION_STATE).state == "warming_up"


async def test_no_url_for_the_ml_server_is_reported(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant without any URL of its own cannot be reached: say so."""
    server_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        server_entry,
        data={
            key: value for key, value in server_entry.data.items() if key != "ha_url"
        },
    )
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    with patch(
        "custom_components.obico.round_trip.get_url",
        side_effect=NoURLAvailableError,
    ):
        printer.state.set("running")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(DETECTION_STATE).state == "ml_unavailable"
    assert ml_server.requests == []
    assert "Home Assistant has no URL the ML server could use" in caplog.text
