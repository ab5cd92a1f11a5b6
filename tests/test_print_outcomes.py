"""Whole prints inside Home Assistant: a real camera entity and a loopback Obico ML API.

The ML server fetches every frame through our view over a real socket, checks the
Bearer token and answers scripted detections. Only time is patched.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_NAME, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_PRESET,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from custom_components.obico.prediction import PredictionState, should_pause, update
from tests.conftest import TOKEN, capture_alerts, next_poll
from tests.fakes import CAMERA, PAUSE_BUTTON, PRINT_STATE, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, failing_print

FAILURE = "binary_sensor.x1c_failure"
DETECTION_STATE = "sensor.x1c_detection_state"
FRAMES = "sensor.x1c_frames_analyzed"


def first_pause_frame(script: list[list[list[object]]], sensitivity: float) -> int:
    """The frame at which Obico's own math says to pause."""
    state = PredictionState()
    for frame, detections in enumerate(script, start=1):
        update(state, detections)
        if should_pause(state, sensitivity):
            return frame
    raise AssertionError("the script never reaches the pause level")


async def add_server_and_printer(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> ConfigEntry:
    """Add the server and the printer through the UI flows, as a user would."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "user"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ML_URL: ml_server.url,
            CONF_TOKEN: TOKEN,
            CONF_HA_URL: ha_url,
            CONF_MAX_CONCURRENT: 1,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    entry = result["result"]
    await hass.async_block_till_done()

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PRINTER), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PRESET: "bambu_lab", CONF_ACTION: "pause"}
    )
    assert result["step_id"] == "printer"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "X1C",
            CONF_FRAME_ENTITY: CAMERA,
            CONF_PRINT_STATE_ENTITY: PRINT_STATE,
            CONF_PRINTING_STATES: ["running"],
            CONF_PAUSED_STATES: ["pause"],
            CONF_PAUSE_ENTITY: PAUSE_BUTTON,
            CONF_SENSITIVITY: 1.0,
            CONF_INTERVAL: 10,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    return entry


async def test_failing_print_is_detected_paused_once_and_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    printer: FakePrinter,
) -> None:
    """A scripted failing print: alert at Obico's frame, one pause, no second."""
    script = failing_print(120)
    pause_frame = first_pause_frame(script, sensitivity=1.0)
    entry = await add_server_and_printer(hass, ml_server, ha_url)
    ml_server.script(*script)
    # The config flow's own test frame went through the whole path once.
    assert len(ml_server.fetched) == 1
    ml_server.requests.clear()
    ml_server.fetched.clear()
    alerts = capture_alerts(hass)

    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    frame = 1
    while frame < pause_frame:
        assert hass.states.get(FAILURE).state == STATE_OFF, f"frame {frame}"
        assert hass.states.get(FRAMES).state == str(frame)
        await next_poll(hass, freezer)
        frame += 1

    # Obico's math says pause at exactly this frame, and so do we.
    assert hass.states.get(FRAMES).state == str(pause_frame)
    assert hass.states.get(FAILURE).state == STATE_ON
    assert printer.state.pause_presses == 1
    assert printer.state.value == "pause"
    assert hass.states.get(DETECTION_STATE).state == "paused"
    assert [(alert["event_type"], alert["action"]) for alert in alerts] == [
        ("warning", "notify"),
        ("failure", "pause"),
    ]

    # Every frame crossed real sockets: token checked, frame fetched from our view.
    assert len(ml_server.requests) == pause_frame
    assert {request.authorization for request in ml_server.requests} == {
        f"Bearer {TOKEN}"
    }
    assert ml_server.fetched == [printer.camera.frame] * pause_frame

    # The user resumes on the printer itself: same print, no second pause.
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(5):
        await next_poll(hass, freezer)
    assert printer.state.pause_presses == 1

    # Home Assistant reloads the entry mid-print: the print goes on where it was.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(FAILURE).state == STATE_ON
    analyzed = int(hass.states.get(FRAMES).state)
    assert analyzed > pause_frame
    for _ in range(10):
        await next_poll(hass, freezer)
    assert int(hass.states.get(FRAMES).state) > analyzed
    assert printer.state.pause_presses == 1
    assert len(alerts) == 2


async def test_clean_print_never_alerts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    printer: FakePrinter,
) -> None:
    """A print with a steady, harmless detection stays safe to the end."""
    await add_server_and_printer(hass, ml_server, ha_url)
    ml_server.script(*([[["failure", 0.2, [10.0, 10.0, 5.0, 5.0]]]] * 80))
    alerts = capture_alerts(hass)

    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(79):
        await next_poll(hass, freezer)

    assert hass.states.get(FRAMES).state == "80"
    assert hass.states.get(DETECTION_STATE).state == "safe"
    assert hass.states.get(FAILURE).state == STATE_OFF
    assert printer.state.pause_presses == 0
    assert alerts == []
    assert persistent_notification._async_get_or_create_notifications(hass) == {}
