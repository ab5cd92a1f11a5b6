"""What happens at the warning and pause levels: notify, pause, verify, power off."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.obico.alerts import AlertState
from custom_components.obico.const import (
    CONF_ACTION,
    CONF_NOTIFY_TARGET,
    CONF_PAUSE_ENTITY,
    DOMAIN,
    PAUSE_VERIFY_TIMEOUT,
)
from custom_components.obico.prediction import (
    PredictionState,
    should_alert,
    should_pause,
    update,
)
from tests.conftest import (
    INTERVAL,
    PRINTER_ID,
    SPAGHETTI,
    WARNING_ONLY,
    capture_alerts,
    next_poll,
    notifications,
    reach_pause_level,
    seed_print,
    tracebacks_of_ours,
)
from tests.fakes import PAUSE_SWITCH, POWER_SWITCH, FakePowerSwitch, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"
DETECTION_STATE = "sensor.x1c_detection_state"


def replay(seed: PredictionState, script: list[list[list[Any]]]) -> list[str]:
    """Obico's verdict after each frame of a script, from a seeded print."""
    state = PredictionState(**seed.to_dict())  # type: ignore[arg-type]
    verdicts = []
    for detections in script:
        update(state, detections)
        verdicts.append(
            "failure"
            if should_pause(state, 1.0)
            else "warning"
            if should_alert(state, 1.0)
            else "safe"
        )
    return verdicts


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """The companion app's notify service (the phone lies outside this machine)."""
    return async_mock_service(hass, "notify", "my_phone")


def test_scripts_reach_the_levels_the_tests_rely_on() -> None:
    """Guard the scripts below: these are Obico's verdicts for them."""
    seed = PredictionState(100, 100, 0.1, 0.1, 0.1, 0.1)
    assert replay(seed, [SPAGHETTI] * 3) == ["safe", "failure", "failure"]
    assert replay(seed, [WARNING_ONLY] * 12) == ["safe"] * 4 + ["warning"] * 8


@pytest.mark.parametrize(
    "printer_overrides", [{CONF_ACTION: "notify", CONF_NOTIFY_TARGET: "my_phone"}]
)
async def test_warning_notifies_once_and_fires_an_event(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A warning tells the user once, and stays quiet until acknowledged."""
    warnings = capture_alerts(hass)
    ml_server.script(*([WARNING_ONLY] * 12))
    for _ in range(4):
        await next_poll(hass, freezer)
    assert hass.states.get(DETECTION_STATE).state == "safe"
    assert warnings == []
    await next_poll(hass, freezer)

    assert hass.states.get(DETECTION_STATE).state == "warning"
    assert hass.states.get(FAILURE).state == STATE_OFF
    [notification] = notifications(hass).values()
    assert notification["title"] == "Possible failure on X1C"
    assert "The print goes on" in notification["message"]
    assert [call.data["title"] for call in phone] == ["Possible failure on X1C"]
    assert warnings == [
        {
            "event_type": "warning",
            "printer": "X1C",
            "risk": printing_entry.runtime_data.printers[PRINTER_ID].risk(),
            "action": "notify",
        }
    ]
    assert 33 < warnings[0]["risk"] <= 67

    for _ in range(7):
        await next_poll(hass, freezer)
    assert hass.states.get(DETECTION_STATE).state == "warning"
    assert len(warnings) == 1, "an unacknowledged alert suppresses the next ones"
    assert len(phone) == 1
    assert printer.state.pause_presses == 0


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_notify_only_reports_the_failure_without_pausing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Action notify: the failure sensor and event, never a pause."""
    alerts = capture_alerts(hass)
    ml_server.script(*([SPAGHETTI] * 10))
    for _ in range(5):
        await next_poll(hass, freezer)

    assert hass.states.get(FAILURE).state == STATE_ON
    assert hass.states.get(DETECTION_STATE).state == "failure"
    assert printer.state.pause_presses == 0
    assert [(alert["event_type"], alert["action"]) for alert in alerts] == [
        ("failure", "notify")
    ]
    [notification] = notifications(hass).values()
    assert notification["title"] == "Failure detected on X1C"
    assert "The print was not paused." in notification["message"]


async def test_pause_level_pauses_and_says_so(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The pause happens at Obico's frame, is confirmed, and is reported."""
    alerts = capture_alerts(hass)
    ml_server.script(*([SPAGHETTI] * 10))
    await next_poll(hass, freezer)
    assert printer.state.pause_presses == 0
    await next_poll(hass, freezer)

    assert printer.state.pause_presses == 1
    assert printer.state.value == "pause"
    assert hass.states.get(FAILURE).state == STATE_ON
    assert [(alert["event_type"], alert["action"]) for alert in alerts] == [
        ("failure", "pause")
    ]
    [notification] = notifications(hass).values()
    assert notification["title"] == "Print paused on X1C"
    assert "and paused it." in notification["message"]
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"pause_not_confirmed_{PRINTER_ID}")
        is None
    )


@pytest.mark.parametrize("printer_overrides", [{CONF_NOTIFY_TARGET: "my_phone"}])
async def test_paused_is_said_only_once_the_printer_has_paused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Until the printer leaves printing, the notice says a pause was asked for."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server)
    assert printer.state.pause_presses == 1
    [notification] = notifications(hass).values()
    assert notification["title"] == "Pausing X1C"
    assert "asked the printer to pause" in notification["message"]
    assert "paused it" not in notification["message"]

    # The printer pauses 20 s later, on its own time: the notice is updated.
    await next_poll(hass, freezer, 20)
    printer.state.set("pause")
    await hass.async_block_till_done(wait_background_tasks=True)
    [notification] = notifications(hass).values()
    assert notification["title"] == "Print paused on X1C"
    assert [call.data["title"] for call in phone] == [
        "Pausing X1C",
        "Print paused on X1C",
    ]
    assert printer.state.pause_presses == 1


async def test_printer_that_will_not_pause_is_retried_once_then_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """No confirmation within 60 s: one retry, then a repair issue and a notification."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    assert printer.state.pause_presses == 1

    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert printer.state.pause_presses == 2
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"pause_not_confirmed_{PRINTER_ID}")
        is None
    )

    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"pause_not_confirmed_{PRINTER_ID}"
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "printer": "X1C",
        "pause_entity": "button.x1c_pause",
        "seconds": "60",
    }
    [notification] = notifications(hass).values()
    assert notification["title"] == "Could not pause X1C"

    # The print goes on failing: the detector never presses again in this print.
    for _ in range(5):
        await next_poll(hass, freezer)
    assert printer.state.pause_presses == 2


async def test_pause_confirmed_on_the_retry_clears_an_old_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A printer that pauses on the second press leaves no repair issue."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"pause_not_confirmed_{PRINTER_ID}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="pause_not_confirmed",
    )
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server)
    printer.state.obeys_pause = True
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)

    assert printer.state.pause_presses == 2
    assert printer.state.value == "pause"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"pause_not_confirmed_{PRINTER_ID}")
        is None
    )


@pytest.mark.parametrize("printer_overrides", [{CONF_PAUSE_ENTITY: "script.pause_x1c"}])
async def test_a_script_can_pause_the_printer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printer: FakePrinter,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
) -> None:
    """A pause script is started with script.turn_on, and its effect confirmed."""
    assert await async_setup_component(
        hass,
        "script",
        {"script": {"pause_x1c": {"sequence": [{"event": "x1c_pause_command"}]}}},
    )
    # The printer obeys the command that the script sends it.
    hass.bus.async_listen("x1c_pause_command", lambda _: printer.state.set("pause"))
    seed_print(hass_storage)
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    await reach_pause_level(hass, freezer, ml_server)
    assert printer.state.value == "pause"
    assert hass.states.get(DETECTION_STATE).state == "paused"


@pytest.mark.parametrize("printer_overrides", [{CONF_PAUSE_ENTITY: PAUSE_SWITCH}])
async def test_a_switch_can_pause_the_printer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A pause switch is turned on, once."""
    await reach_pause_level(hass, freezer, ml_server)
    assert printer.state.pause_presses == 1
    assert hass.states.get(PAUSE_SWITCH).state == STATE_ON
    assert hass.states.get(DETECTION_STATE).state == "paused"


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "pause_and_off"}])
async def test_pause_and_off_cuts_power_after_the_delay(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Power goes off after the configured delay, not before."""
    await reach_pause_level(hass, freezer, ml_server)
    assert printer.state.value == "pause"

    await next_poll(hass, freezer, 100)
    assert hass.states.get(POWER_SWITCH).state == STATE_ON
    await next_poll(hass, freezer, 21)
    assert hass.states.get(POWER_SWITCH).state == STATE_OFF
    assert printer.state.power_offs == 1


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "pause_and_off"}])
async def test_not_a_failure_calls_off_the_power_cut(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Acknowledging 'not a failure' before the delay keeps the printer on."""
    await reach_pause_level(hass, freezer, ml_server)
    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"entity_id": FAILURE, "feedback": "not_a_failure"},
        blocking=True,
    )
    await next_poll(hass, freezer, 300)
    assert hass.states.get(POWER_SWITCH).state == STATE_ON
    assert hass.states.get(FAILURE).state == STATE_OFF


async def test_restart_after_the_pause_does_not_pause_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The pause is recorded before it is carried out, and survives restarts."""
    seed_print(
        hass_storage, alerts=AlertState(paused_at=1.0, alerted_at=1.0, failure=True)
    )
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    ml_server.script(*([SPAGHETTI] * 10))
    for _ in range(5):
        await next_poll(hass, freezer)
    assert printer.state.pause_presses == 0
    assert hass.states.get(FAILURE).state == STATE_ON


@pytest.mark.parametrize(
    "failure",
    [
        HomeAssistantError("printer offline"),
        ConnectionResetError("connection reset"),
        TimeoutError(),
        RuntimeError("bug in the printer integration"),
    ],
    ids=["home_assistant_error", "connection_error", "timeout", "any_exception"],
)
async def test_a_pause_button_that_fails_is_retried_then_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
    failure: BaseException,
) -> None:
    """Whatever the press raises, it is pressed once more, then reported."""
    printer.state.pause_failure = failure
    await reach_pause_level(hass, freezer, ml_server, 30)

    # Both presses failed at once: no waiting for a pause that cannot come.
    assert caplog.text.count("pausing with button.x1c_pause failed") == 2
    assert tracebacks_of_ours(caplog) == []
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"pause_not_confirmed_{PRINTER_ID}"
    )
    assert issue is not None
    [notification] = notifications(hass).values()
    assert notification["title"] == "Could not pause X1C"
    assert "still printing" in notification["message"]
    assert "still printing after 2 pause attempts with button.x1c_pause" in caplog.text
    assert printer.state.value == "running"
    # Detection goes on, and never presses again in this print.
    for _ in range(5):
        await next_poll(hass, freezer)
    assert hass.states.get(DETECTION_STATE).state == "failure"
    assert printer.state.pause_presses == 0


async def test_a_pause_button_that_never_answers_is_given_up_on(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A press that hangs counts as failed after the action timeout."""
    # Not under a frozen clock, so that the (shortened) timeout runs out.
    printer.state.pause_hangs = True
    seed_print(hass_storage)
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    with patch("custom_components.obico.actions.ACTION_TIMEOUT", 0.05):
        assert await hass.config_entries.async_setup(server_entry.entry_id)
        await hass.async_block_till_done()
        ml_server.script(*([SPAGHETTI] * 10))
        # Two frames, one interval apart, on the real clock.
        for frame in (1, 2):
            async_fire_time_changed(
                hass, dt_util.utcnow() + timedelta(seconds=frame * (INTERVAL + 1))
            )
            await hass.async_block_till_done(wait_background_tasks=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sum("no answer within 0.05 s" in text for text in warnings) == 2
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"pause_not_confirmed_{PRINTER_ID}"
    )


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "pause_and_off"}])
@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (HomeAssistantError("plug unreachable"), "plug unreachable"),
        (OSError("no route to host"), "no route to host"),
        (KeyError("state"), "'state'"),
    ],
)
async def test_a_power_switch_that_fails_is_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
    failure: BaseException,
    reason: str,
) -> None:
    """The user learns that the power is still on."""
    printer.state.power_failure = failure
    await reach_pause_level(hass, freezer, ml_server)
    await next_poll(hass, freezer, 121)

    [notification] = notifications(hass).values()
    assert notification["title"] == "Could not turn off X1C"
    assert notification["message"] == (
        f"Obico could not turn off switch.x1c_power: {reason}. Check the printer now."
    )
    assert f"turning off switch.x1c_power failed: {reason}" in caplog.text
    assert hass.states.get(POWER_SWITCH).state == STATE_ON


@pytest.mark.parametrize(
    "printer_overrides", [{CONF_ACTION: "notify", CONF_NOTIFY_TARGET: "my_phone"}]
)
async def test_a_notify_service_that_fails_does_not_stop_the_alert(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the notify service raises, the persistent notification shows."""

    async def _phone_unreachable(call: ServiceCall) -> None:
        raise ConnectionError("phone unreachable")

    hass.services.async_register("notify", "my_phone", _phone_unreachable)
    await reach_pause_level(hass, freezer, ml_server)

    [notification] = notifications(hass).values()
    assert notification["title"] == "Failure detected on X1C"
    assert "notify.my_phone failed: phone unreachable" in caplog.text
    assert hass.states.get(FAILURE).state == STATE_ON


@pytest.mark.parametrize(
    "printer_overrides",
    [{CONF_ACTION: "pause_and_off", CONF_NOTIFY_TARGET: "my_phone"}],
)
async def test_a_notify_service_and_a_power_switch_that_never_answer(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Calls that hang are given up on after the action timeout, and said so."""

    async def _phone_never_answers(call: ServiceCall) -> None:
        await asyncio.Event().wait()

    hass.services.async_register("notify", "my_phone", _phone_never_answers)
    # Not under a frozen clock, so that the (shortened) timeout runs out.
    seed_print(hass_storage)
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    with (
        patch("custom_components.obico.actions.ACTION_TIMEOUT", 0.05),
        patch.object(FakePowerSwitch, "async_turn_off", _hangs),
    ):
        assert await hass.config_entries.async_setup(server_entry.entry_id)
        await hass.async_block_till_done()
        ml_server.script(*([SPAGHETTI] * 10))
        for frame in (1, 2):
            async_fire_time_changed(
                hass, dt_util.utcnow() + timedelta(seconds=frame * (INTERVAL + 1))
            )
            await hass.async_block_till_done(wait_background_tasks=True)
        assert printer.state.value == "pause"
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=200))
        await hass.async_block_till_done(wait_background_tasks=True)

    assert "notify.my_phone failed: no answer within 0.05 s" in caplog.text
    assert "turning off switch.x1c_power failed: no answer within 0.05 s" in caplog.text
    assert "Could not turn off X1C" in [
        n["title"] for n in notifications(hass).values()
    ]


async def _hangs(*args: Any, **kwargs: Any) -> None:
    await asyncio.Event().wait()
