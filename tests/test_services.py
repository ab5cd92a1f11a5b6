"""The obico.* services, aimed at printer devices or their entities."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.obico.const import (
    CONF_PAUSE_ENTITY,
    DOMAIN,
    PAUSE_VERIFY_TIMEOUT,
)
from tests.conftest import (
    PRINTER_ID,
    SPAGHETTI,
    next_poll,
    printer_device,
    reach_pause_level,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"
DETECTION_STATE = "sensor.x1c_detection_state"
FRAMES = "sensor.x1c_frames_analyzed"


def printer_device_id(hass: HomeAssistant) -> str:
    """The device id of the test printer."""
    device = printer_device(hass)
    assert device is not None
    return device.id


async def test_analyze_now_returns_detections_without_counting_the_frame(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """One frame, analyzed on demand; the print's statistics stay as they were."""
    ml_server.script([["failure", 0.42, [10.0, 20.0, 30.0, 40.0]]])
    device_id = printer_device_id(hass)
    response = await hass.services.async_call(
        DOMAIN,
        "analyze_now",
        {"device_id": device_id},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "printers": {
            device_id: {
                "printer": "X1C",
                "p": 0.42,
                "detections": [
                    {"label": "failure", "confidence": 0.42, "box": [10, 20, 30, 40]}
                ],
            }
        }
    }
    assert len(ml_server.fetched) == 1
    assert hass.states.get(FRAMES).state == "100"


async def test_analyze_now_by_entity(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """Any entity of the printer stands for the printer."""
    response = await hass.services.async_call(
        DOMAIN,
        "analyze_now",
        {"entity_id": DETECTION_STATE},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "printers": {
            printer_device_id(hass): {"printer": "X1C", "p": 0.0, "detections": []}
        }
    }


async def test_analyze_now_reports_a_camera_failure(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """A camera failure is a translated error naming the camera."""
    printer.camera.failure = HomeAssistantError("camera offline")
    with pytest.raises(HomeAssistantError) as error:
        await hass.services.async_call(
            DOMAIN,
            "analyze_now",
            {"entity_id": FAILURE},
            blocking=True,
            return_response=True,
        )
    assert error.value.translation_key == "camera_failed"
    assert str(error.value) == (
        "Could not get a frame of X1C from camera.workshop_cam: "
        "camera.workshop_cam failed: camera offline"
    )


async def test_analyze_now_reports_an_ml_failure(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, printing_entry: MockConfigEntry
) -> None:
    """An ML failure is a translated error that keeps the reason."""
    ml_server.mode = "garbage"
    with pytest.raises(HomeAssistantError) as error:
        await hass.services.async_call(
            DOMAIN,
            "analyze_now",
            {"entity_id": FAILURE},
            blocking=True,
            return_response=True,
        )
    assert error.value.translation_key == "ml_failed"
    assert str(error.value) == (
        "The Obico ML API could not analyze a frame of X1C: "
        "the ML server did not answer JSON"
    )


@pytest.mark.parametrize(
    "target", [{"entity_id": "sensor.not_ours"}, {"device_id": "not-a-device"}]
)
async def test_a_call_without_a_printer_is_rejected(
    hass: HomeAssistant, printing_entry: MockConfigEntry, target: dict[str, str]
) -> None:
    """Calls that aim at no Obico printer say so, translated."""
    hass.states.async_set("sensor.not_ours", "1")
    with pytest.raises(ServiceValidationError) as error:
        await hass.services.async_call(DOMAIN, "mute_print", target, blocking=True)
    assert error.value.translation_key == "no_printer_targeted"
    assert str(error.value) == "Choose an Obico printer device or one of its entities"


async def test_acknowledge_not_a_failure_clears_the_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The user's 'not a failure' turns the sensor off and re-arms alerts."""
    await reach_pause_level(hass, freezer, ml_server, 5)
    assert hass.states.get(FAILURE).state == STATE_ON

    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"device_id": printer_device_id(hass), "feedback": "not_a_failure"},
        blocking=True,
    )
    assert hass.states.get(FAILURE).state == STATE_OFF
    alerts = printing_entry.runtime_data.printers[PRINTER_ID].verdict.alerts
    assert alerts.feedback == "not_a_failure"
    assert alerts.alert_acknowledged_at is not None


async def test_a_call_needs_a_target(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """A call with no target at all is refused by its schema."""
    # Matched loosely: the wording is the validation library's, and changed
    # when Home Assistant 2026.9 moved from voluptuous to probatio.
    with pytest.raises(vol.Invalid, match=r"at least one of\W+entity_id\W+device_id"):
        await hass.services.async_call(DOMAIN, "mute_print", {}, blocking=True)
    assert (
        printing_entry.runtime_data.printers[PRINTER_ID].verdict.alerts.muted is False
    )


async def test_acknowledge_rejects_unknown_feedback(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """Feedback other than the two answers is refused."""
    with pytest.raises(vol.Invalid, match="feedback"):
        await hass.services.async_call(
            DOMAIN,
            "acknowledge",
            {"entity_id": FAILURE, "feedback": "maybe"},
            blocking=True,
        )


async def test_mute_stops_watching_until_the_next_print(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Muted: no frames, no pause; a new print watches again."""
    await hass.services.async_call(
        DOMAIN, "mute_print", {"entity_id": FAILURE}, blocking=True
    )
    assert hass.states.get(DETECTION_STATE).state == "muted"
    ml_server.script(*([SPAGHETTI] * 5))
    for _ in range(3):
        await next_poll(hass, freezer)
    assert ml_server.requests == []
    assert printer.state.pause_presses == 0

    printer.state.set("finish")
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(DETECTION_STATE).state == "warming_up"
    assert len(ml_server.requests) == 1


async def test_pause_print_presses_the_pause_entity(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """A manual pause uses the same pause entity and check."""
    await hass.services.async_call(
        DOMAIN, "pause_print", {"device_id": printer_device_id(hass)}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert printer.state.pause_presses == 1
    assert printer.state.value == "pause"
    # A manual pause does not use up the automatic one.
    assert (
        printing_entry.runtime_data.printers[PRINTER_ID].verdict.alerts.paused_at
        is None
    )


@pytest.mark.parametrize("printer_overrides", [{CONF_PAUSE_ENTITY: None}])
async def test_pause_print_needs_a_pause_entity(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """Without a pause entity the call is refused, translated."""
    with pytest.raises(ServiceValidationError) as error:
        await hass.services.async_call(
            DOMAIN, "pause_print", {"entity_id": FAILURE}, blocking=True
        )
    assert error.value.translation_key == "no_pause_entity"
    assert printer.state.pause_presses == 0


async def test_pause_print_says_when_the_press_fails(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """A pause entity that fails makes the call fail, translated, with the reason."""
    printer.state.pause_failure = ConnectionResetError("printer unreachable")
    with pytest.raises(HomeAssistantError) as error:
        await hass.services.async_call(
            DOMAIN, "pause_print", {"entity_id": FAILURE}, blocking=True
        )
    assert error.value.translation_key == "pause_failed"
    assert str(error.value) == (
        "Could not pause X1C with button.x1c_pause: printer unreachable"
    )
    assert printer.state.value == "running"


async def test_pause_print_watches_and_presses_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A printer that ignores the manual pause is pressed once more, then reported."""
    printer.state.obeys_pause = False
    await hass.services.async_call(
        DOMAIN, "pause_print", {"entity_id": FAILURE}, blocking=True
    )
    assert printer.state.pause_presses == 1
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert printer.state.pause_presses == 2
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"pause_not_confirmed_{PRINTER_ID}"
    )
