"""The alert event entity: what automations hear of warnings and failures."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import CONF_ACTION
from tests.conftest import (
    ALERT,
    SPAGHETTI,
    WARNING_ONLY,
    capture_alerts,
    next_poll,
    state_of,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

RISK = "sensor.x1c_failure_risk"


async def test_the_alert_entity_has_two_event_types_and_no_event_yet(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """Two event types, warning and failure; no device class, since none fits."""
    state = hass.states.get(ALERT)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == ["warning", "failure"]
    assert "device_class" not in state.attributes


@pytest.mark.parametrize(
    ("printer_overrides", "taken"),
    [
        ({CONF_ACTION: "pause"}, "pause"),
        ({CONF_ACTION: "pause_and_off"}, "pause_and_off"),
        ({CONF_ACTION: "notify"}, "notify"),
    ],
    ids=["pause", "pause_and_off", "notify"],
)
async def test_a_warning_then_a_failure_each_fire_once_with_risk_and_action(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printer: FakePrinter,
    printing_entry: MockConfigEntry,
    taken: str,
) -> None:
    """The risk that raised it, and what was done: a warning only ever notifies."""
    alerts = capture_alerts(hass)
    ml_server.script(*([WARNING_ONLY] * 5), *([SPAGHETTI] * 5))
    for _ in range(5):
        await next_poll(hass, freezer)
    warning_risk = float(state_of(hass, RISK))
    await next_poll(hass, freezer)
    failure_risk = float(state_of(hass, RISK))
    for _ in range(3):
        await next_poll(hass, freezer)

    assert alerts == [
        {
            "event_type": "warning",
            "risk": warning_risk,
            "action": "notify",
            "printer": "X1C",
        },
        {
            "event_type": "failure",
            "risk": failure_risk,
            "action": taken,
            "printer": "X1C",
        },
    ]
    assert 33 < warning_risk <= 67 < failure_risk
    assert printer.state.pause_presses == (0 if taken == "notify" else 1)


async def test_the_last_event_outlives_a_reload_and_is_not_fired_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """The entity shows its last event again; automations hear nothing new."""
    alerts = capture_alerts(hass)
    ml_server.script(*([SPAGHETTI] * 3))
    for _ in range(2):
        await next_poll(hass, freezer)
    fired = hass.states.get(ALERT)
    assert fired is not None
    assert fired.attributes["event_type"] == "failure"

    assert await hass.config_entries.async_reload(printing_entry.entry_id)
    await hass.async_block_till_done()
    restored = hass.states.get(ALERT)
    assert restored is not None
    assert restored.state == fired.state
    assert restored.attributes == fired.attributes
    assert len(alerts) == 1
