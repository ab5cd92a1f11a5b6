"""The automations the README shows, run as written against a watched printer.

Each YAML block is meant to be pasted into the README unchanged (for a
Bambu Lab X1C named X1C): a block that stops working fails here first.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
import yaml

from custom_components.obico.const import CONF_ACTION
from tests.conftest import (
    PRINTER_ID,
    next_poll,
    reach_pause_level,
    start_print,
    state_of,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

PHONE_NOTIFICATION = """
alias: Print alert, on my phone
triggers:
  - trigger: state
    entity_id: event.x1c_alert
    not_from: unavailable
    not_to: unavailable
    id: alert
  - trigger: event
    event_type: mobile_app_notification_action
    event_data:
      action: X1C_NOT_A_FAILURE
    id: not_a_failure
  - trigger: event
    event_type: mobile_app_notification_action
    event_data:
      action: X1C_MUTE
    id: mute
actions:
  - choose:
      - conditions:
          - condition: trigger
            id: alert
        sequence:
          - action: notify.mobile_app_my_phone
            data:
              title: >
                {{ trigger.to_state.attributes.printer }}:
                {{ trigger.to_state.attributes.event_type }}
              message: >
                Failure risk {{ trigger.to_state.attributes.risk | round(0) }} %,
                action taken: {{ trigger.to_state.attributes.action }}.
              data:
                image: /api/image_proxy/image.x1c_last_analyzed_frame
                tag: x1c-print-alert
                actions:
                  - action: X1C_NOT_A_FAILURE
                    title: Not a failure
                  - action: X1C_MUTE
                    title: Mute this print
      - conditions:
          - condition: trigger
            id: not_a_failure
        sequence:
          - action: button.press
            target:
              entity_id: button.x1c_not_a_failure
      - conditions:
          - condition: trigger
            id: mute
        sequence:
          - action: button.press
            target:
              entity_id: button.x1c_mute_this_print
"""

LIGHTS_OFF_AFTER_A_PAUSE = """
alias: Print paused, lights off
triggers:
  - trigger: state
    entity_id: event.x1c_alert
    not_from: unavailable
    not_to: unavailable
conditions:
  - condition: state
    entity_id: event.x1c_alert
    attribute: event_type
    state: failure
  - condition: template
    value_template: "{{ trigger.to_state.attributes.action != 'notify' }}"
actions:
  - wait_template: "{{ is_state('sensor.x1c_detection_state', 'paused') }}"
    timeout: "00:02:00"
    continue_on_timeout: false
  - action: light.turn_off
    target:
      entity_id: light.workshop
"""

NO_DETECTION_DURING_THE_FIRST_LAYER = """
alias: First layer, detection off
triggers:
  - trigger: state
    entity_id: sensor.x1c_print_status
    to: running
    not_from: pause
    id: print_started
  - trigger: numeric_state
    entity_id: sensor.x1c_current_layer
    above: 1
    id: first_layer_done
actions:
  - action: >
      {{ 'switch.turn_off' if trigger.id == 'print_started' else 'switch.turn_on' }}
    target:
      entity_id: switch.x1c_detection
"""

WARNING_ONLY: list[list[Any]] = [["failure", 0.9, [100.0, 100.0, 80.0, 60.0]]]
LAYER = "sensor.x1c_current_layer"


async def add_automation(hass: HomeAssistant, block: str) -> None:
    """Add one automation, as pasted into automations.yaml."""
    assert await async_setup_component(
        hass, "automation", {"automation": [yaml.safe_load(block)]}
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_the_phone_notification_with_the_frame_and_buttons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """A warning reaches the phone; its buttons press the printer's buttons."""
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_my_phone")
    await add_automation(hass, PHONE_NOTIFICATION)
    ml_server.script(*([WARNING_ONLY] * 10))
    for _ in range(5):
        await next_poll(hass, freezer)

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

    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": "X1C_NOT_A_FAILURE"}
    )
    await hass.async_block_till_done()
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    assert printer.alerts.feedback == "not_a_failure"
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
    ml_server.script(*([WARNING_ONLY] * 5))
    for _ in range(5):
        await next_poll(hass, freezer)
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
