"""The automations the README shows, read from it and run against a watched printer.

Each is a YAML block under the README's "Automations" heading, for a Bambu Lab
printer named X1C, as the test printer is: a block that stops working, or
that is changed so, fails here first.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.obico.const import CONF_ACTION
from tests.conftest import (
    PRINTER_ID,
    next_poll,
    reach_pause_level,
    reach_warning,
    start_print,
    state_of,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer
from tests.readme import yaml_blocks

# The README's automations, by their aliases.
PHONE_NOTIFICATION = "Print alert, on my phone"
LIGHTS_OFF_AFTER_A_PAUSE = "Print paused, lights off"
NO_DETECTION_DURING_THE_FIRST_LAYER = "First layer, detection off"

LAYER = "sensor.x1c_current_layer"


def readme_automations() -> dict[str, dict[str, Any]]:
    """The README's automations, by alias."""
    return {
        automation["alias"]: automation for automation in yaml_blocks("Automations")
    }


async def add_automation(hass: HomeAssistant, alias: str) -> None:
    """Add the README's automation ``alias``, as pasted into automations.yaml."""
    automation = readme_automations()[alias]
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    await hass.async_block_till_done()


def test_the_readme_shows_three_automations_each_tested_here() -> None:
    """An automation added to the README without a test here fails."""
    assert list(readme_automations()) == [
        PHONE_NOTIFICATION,
        LIGHTS_OFF_AFTER_A_PAUSE,
        NO_DETECTION_DURING_THE_FIRST_LAYER,
    ]


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_the_phone_notification_with_the_frame_and_buttons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    ha_url: str,
    hass_access_token: str,
) -> None:
    """A warning reaches the phone with a frame it can fetch; its buttons work."""
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_my_phone")
    await add_automation(hass, PHONE_NOTIFICATION)
    await reach_warning(hass, freezer, ml_server, 10)

    [call] = phone
    assert call.data == {
        "title": "X1C: warning",
        "message": "Failure risk 37 %, action taken: notify.",
        "data": {
            "image": "/api/image_proxy/image.x1c_last_analyzed_frame",
            "tag": "x1c-print-alert",
            "actions": [
                {"action": "X1C_NOT_A_FAILURE", "title": "Not a failure"},
                {"action": "X1C_MUTE", "title": "Mute this print"},
            ],
        },
    }
    # As the companion app fetches it, with its own token.
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            ha_url + call.data["data"]["image"],
            headers={"Authorization": f"Bearer {hass_access_token}"},
        ) as response,
    ):
        assert (response.status, response.content_type) == (200, "image/jpeg")

    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": "X1C_NOT_A_FAILURE"}
    )
    await hass.async_block_till_done()
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    assert printer.verdict.alerts.feedback == "not_a_failure"
    hass.bus.async_fire("mobile_app_notification_action", {"action": "X1C_MUTE"})
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.x1c_detection_state") == "muted"


@pytest.mark.parametrize(
    ("printer_overrides", "lights_off"),
    [({CONF_ACTION: "pause"}, 1), ({CONF_ACTION: "notify"}, 0)],
    ids=["pause", "notify"],
)
async def test_the_lights_go_off_after_a_pause(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    lights_off: int,
) -> None:
    """Once the printer has paused; never for a failure only told."""
    turn_off: list[ServiceCall] = async_mock_service(hass, "light", "turn_off")
    await add_automation(hass, LIGHTS_OFF_AFTER_A_PAUSE)
    await reach_warning(hass, freezer, ml_server)
    assert turn_off == [], "a warning leaves the lights on"

    await reach_pause_level(hass, freezer, ml_server)
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in turn_off] == [
        ["light.workshop"]
    ] * lights_off


async def test_no_detection_during_the_first_layer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Off when a print starts, on again from the second layer."""
    hass.states.async_set(LAYER, "0")
    await add_automation(hass, NO_DETECTION_DURING_THE_FIRST_LAYER)
    await start_print(hass, printer)
    assert state_of(hass, "switch.x1c_detection") == STATE_OFF
    hass.states.async_set(LAYER, "1")
    analyzed = len(ml_server.requests)
    for _ in range(3):
        await next_poll(hass, freezer)
    assert len(ml_server.requests) == analyzed

    hass.states.async_set(LAYER, "2")
    await hass.async_block_till_done()
    assert state_of(hass, "switch.x1c_detection") == STATE_ON
    await next_poll(hass, freezer)
    assert len(ml_server.requests) == analyzed + 1

    # A resumed print is the same print: its detection stays on.
    printer.state.set("pause")
    await hass.async_block_till_done()
    printer.state.set("running")
    await hass.async_block_till_done()
    assert state_of(hass, "switch.x1c_detection") == STATE_ON
