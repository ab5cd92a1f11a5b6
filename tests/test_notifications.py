"""Notifications worth acting on: what they say, the frame and buttons a phone gets.

The phone lies outside this machine: its notify service is a mock that records
the calls, and its answers are the ``mobile_app_notification_action`` events
the companion app fires.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.obico.const import (
    CONF_ACTION,
    CONF_NOTIFY_TARGET,
    DOMAIN,
    unique_id,
)
from tests.conftest import (
    DETECTION_STATE,
    PRINTER_ID,
    next_poll,
    notifications,
    reach_pause_level,
    reach_warning,
    state_of,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"
LAST_FRAME = "image.x1c_last_analyzed_frame"
WARNING_RISK = "37 %"
PAUSE_RISK = "69 %"

NOT_A_FAILURE = f"OBICO_NOT_A_FAILURE_{PRINTER_ID}"
MUTE = f"OBICO_MUTE_PRINT_{PRINTER_ID}"
BUTTONS = [
    {"action": NOT_A_FAILURE, "title": "Not a failure"},
    {"action": MUTE, "title": "Mute this print"},
]
TAG = f"obico_{PRINTER_ID}"
ANSWER_ON_DEVICE = (
    "If the print is fine, press Not a failure on the X1C device. "
    "Mute this print stops the alerts until the next print."
)
ANSWER_WITH_BUTTONS = (
    "If the print is fine, answer Not a failure. "
    "Mute this print stops the alerts until the next print."
)
WARNING_TEXT = (
    f"Obico sees signs of a failing print on X1C (failure risk {WARNING_RISK}). "
    "The print goes on; have a look at it."
)
PHONE = {CONF_NOTIFY_TARGET: "my_phone"}


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """The companion app's notify service."""
    return async_mock_service(hass, "notify", "my_phone")


@pytest.fixture
def last_frame(hass: HomeAssistant, printing_entry: MockConfigEntry) -> str:
    """The printer's annotated frame entity, as the image platform registered it."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "image", DOMAIN, unique_id(PRINTER_ID, "last_frame")
    )
    assert entity_id is not None
    return entity_id


def answer(hass: HomeAssistant, action: Any) -> None:
    """Tap a notification button, as the companion app reports it."""
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": action, "device_id": "phone"}
    )


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_a_warning_names_the_printer_the_risk_and_how_to_answer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    last_frame: str,
    printing_entry: MockConfigEntry,
) -> None:
    """The phone gets the frame and two buttons; the persistent notification, the way."""
    assert last_frame == LAST_FRAME
    await reach_warning(hass, freezer, ml_server, 30)

    [notification] = notifications(hass).values()
    assert notification["notification_id"] == TAG
    assert notification["title"] == "Possible failure on X1C"
    assert notification["message"] == f"{WARNING_TEXT} {ANSWER_ON_DEVICE}"
    [call] = phone
    assert call.data == {
        "title": "Possible failure on X1C",
        "message": f"{WARNING_TEXT} {ANSWER_WITH_BUTTONS}",
        "data": {
            "tag": TAG,
            "image": f"/api/image_proxy/{LAST_FRAME}",
            "actions": BUTTONS,
        },
    }


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_without_a_frame_entity_the_phone_gets_no_image(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    last_frame: str,
    printing_entry: MockConfigEntry,
) -> None:
    """The image entity removed from the registry: no picture, the buttons still."""
    er.async_get(hass).async_remove(last_frame)
    await reach_warning(hass, freezer, ml_server, 30)
    [call] = phone
    assert call.data["data"] == {"tag": TAG, "actions": BUTTONS}


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_a_disabled_frame_entity_is_not_sent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    last_frame: str,
    printing_entry: MockConfigEntry,
) -> None:
    """Its proxy URL would answer 404: the notification goes without it."""
    er.async_get(hass).async_update_entity(
        last_frame, disabled_by=er.RegistryEntryDisabler.USER
    )
    await reach_warning(hass, freezer, ml_server, 30)
    [call] = phone
    assert "image" not in call.data["data"]


@pytest.mark.parametrize("printer_overrides", [PHONE])
async def test_paused_is_said_only_once_confirmed_in_the_same_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    last_frame: str,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Pausing, then paused: the second replaces the first, on the phone too."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server)
    detected = f"Obico detected a failing print on X1C (failure risk {PAUSE_RISK})"
    pausing = (
        f"{detected} and asked the printer to pause. "
        "You will be told when it has paused."
    )
    [notification] = notifications(hass).values()
    assert (notification["title"], notification["message"]) == (
        "Pausing X1C",
        f"{pausing} {ANSWER_ON_DEVICE}",
    )

    printer.state.set("pause")
    await hass.async_block_till_done(wait_background_tasks=True)
    [notification] = notifications(hass).values()
    assert (notification["title"], notification["message"]) == (
        "Print paused on X1C",
        f"{detected} and paused it. {ANSWER_ON_DEVICE}",
    )
    data = {"tag": TAG, "image": f"/api/image_proxy/{LAST_FRAME}", "actions": BUTTONS}
    assert [call.data for call in phone] == [
        {
            "title": "Pausing X1C",
            "message": f"{pausing} {ANSWER_WITH_BUTTONS}",
            "data": data,
        },
        {
            "title": "Print paused on X1C",
            "message": f"{detected} and paused it. {ANSWER_WITH_BUTTONS}",
            "data": data,
        },
    ]


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "pause_and_off"}])
async def test_a_notification_about_no_detection_has_no_buttons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    last_frame: str,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A power switch that failed is news, not a question: no answer asked."""
    printer.state.power_failure = OSError("plug unreachable")
    await reach_pause_level(hass, freezer, ml_server)
    await next_poll(hass, freezer, 121)

    text = "Obico could not turn off switch.x1c_power: plug unreachable. Check the printer now."
    [notification] = notifications(hass).values()
    assert notification["message"] == text
    assert phone[-1].data == {
        "title": "Could not turn off X1C",
        "message": text,
        "data": {"tag": TAG},
    }


@pytest.mark.parametrize("printer_overrides", [PHONE])
async def test_not_a_failure_from_the_phone_acknowledges(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
) -> None:
    """The button does what the printer's Not a failure button does."""
    await reach_pause_level(hass, freezer, ml_server)
    assert state_of(hass, FAILURE) == STATE_ON

    assert notifications(hass)

    answer(hass, NOT_A_FAILURE)
    await hass.async_block_till_done()
    assert state_of(hass, FAILURE) == STATE_OFF
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    assert printer.verdict.alerts.feedback == "not_a_failure"
    assert notifications(hass) == {}, "the question is answered"


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_mute_from_the_phone_mutes_the_print(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
) -> None:
    """The button does what the printer's Mute this print button does."""
    await reach_warning(hass, freezer, ml_server, 30)
    assert notifications(hass)
    answer(hass, MUTE)
    await hass.async_block_till_done()
    assert state_of(hass, DETECTION_STATE) == "muted"
    assert notifications(hass) == {}, "the question is answered"
    requests = len(ml_server.requests)
    await next_poll(hass, freezer)
    assert len(ml_server.requests) == requests, "a muted print is not watched"


@pytest.mark.parametrize(
    "action",
    [
        "OBICO_NOT_A_FAILURE_01JSOMEOTHERPRINTER0000000",
        f"OBICO_NOT_A_FAILURE_{PRINTER_ID}_X",
        f"OTHER_APP_{PRINTER_ID}",
        f"obico_not_a_failure_{PRINTER_ID}",
        "URI",
        None,
        42,
    ],
)
@pytest.mark.parametrize("printer_overrides", [PHONE])
async def test_other_actions_are_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    action: Any,
) -> None:
    """Another printer's, another app's, or no action at all: nothing happens."""
    await reach_pause_level(hass, freezer, ml_server)
    answer(hass, action)
    await hass.async_block_till_done()
    assert state_of(hass, FAILURE) == STATE_ON
    assert (
        printing_entry.runtime_data.printers[PRINTER_ID].verdict.alerts.feedback is None
    )
    assert notifications(hass), "the question stands"
    assert "Error" not in caplog.text


@pytest.mark.parametrize("printer_overrides", [PHONE])
async def test_answers_after_the_entry_is_unloaded_are_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tap on an old notification reaches no printer that is gone."""
    await hass.config_entries.async_unload(printing_entry.entry_id)
    answer(hass, NOT_A_FAILURE)
    await hass.async_block_till_done()
    assert "Error" not in caplog.text


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_a_warning_notifies_the_phone_at_most_as_obico_allows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
) -> None:
    """Unanswered, one warning per print; answered, the next after 90 s at the least."""
    await reach_warning(hass, freezer, ml_server, 30)
    for _ in range(10):
        await next_poll(hass, freezer)
    assert state_of(hass, DETECTION_STATE) == "warning"
    assert len(phone) == 1, "an unanswered warning holds the next ones back"

    # Answered 110 s after the warning went out, from the phone.
    answer(hass, NOT_A_FAILURE)
    await hass.async_block_till_done()
    await next_poll(hass, freezer)
    assert [call.data["title"] for call in phone] == ["Possible failure on X1C"] * 2

    # Answered at once: no other warning for 90 s.
    answer(hass, NOT_A_FAILURE)
    await hass.async_block_till_done()
    for _ in range(8):
        await next_poll(hass, freezer)
    assert len(phone) == 2
    await next_poll(hass, freezer)
    assert len(phone) == 3


@pytest.mark.parametrize("printer_overrides", [PHONE | {CONF_ACTION: "notify"}])
async def test_a_language_without_translations_falls_back_to_english(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    phone: list[ServiceCall],
    printing_entry: MockConfigEntry,
) -> None:
    """The integration speaks English only, whatever Home Assistant's language."""
    await hass.config.async_update(language="de")
    await reach_warning(hass, freezer, ml_server, 30)
    [call] = phone
    assert call.data["title"] == "Possible failure on X1C"
    assert call.data["data"]["actions"] == BUTTONS
