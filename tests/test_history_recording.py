"""What a printer's history records, through Home Assistant, and that it is kept.

Every kind of event is caused for real (the loopback ML server, real camera,
pause button and power switch entities) and read back from the coordinator and
from storage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import CONF_ACTION, DOMAIN, PAUSE_VERIFY_TIMEOUT
from custom_components.obico.history import HISTORY_LENGTH, EventKind, History
from custom_components.obico.persistence import storage_key
from tests.conftest import (
    PRINTER_ID,
    SPAGHETTI,
    WARNING_ONLY,
    next_poll,
    reach_pause_level,
    seed_print,
    start_print,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"


def events(entry: MockConfigEntry) -> list[dict[str, Any]]:
    """The printer's history, as stored, without the times."""
    history = entry.runtime_data.printers[PRINTER_ID].history
    return [
        {key: value for key, value in event.items() if key != "time"}
        for event in history.to_list()
    ]


def kinds(entry: MockConfigEntry) -> list[str]:
    """The kinds of the printer's events, oldest first."""
    return [event["kind"] for event in events(entry)]


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_a_warning_is_recorded_with_its_risk_and_frame(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Only frames that sent a notice are recorded, not every frame."""
    ml_server.script(*([WARNING_ONLY] * 8))
    for _ in range(8):
        await next_poll(hass, freezer)
    [warning] = events(printing_entry)
    assert warning == {
        "kind": "warning",
        "risk": warning["risk"],
        "frame": 105,
        "notice": "warning",
    }
    assert 33 < warning["risk"] <= 67


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "notify"}])
async def test_a_failure_held_back_is_recorded_without_a_notice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The warning is unanswered, so the failure sends nothing: it is still recorded."""
    ml_server.script(*([WARNING_ONLY] * 5), *([SPAGHETTI] * 3))
    for _ in range(8):
        await next_poll(hass, freezer)
    warning, failure = events(printing_entry)
    assert warning["kind"] == "warning"
    assert failure == {
        "kind": "failure",
        "risk": failure["risk"],
        "frame": failure["frame"],
        "notice": None,
    }
    assert failure["risk"] > 67
    assert hass.states.get(FAILURE).state == "on"


async def test_a_pause_that_is_ignored_is_recorded_press_by_press(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The failure, both presses, and that the printer went on printing."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    failure, first, second, failed = events(printing_entry)
    risk = failure["risk"]
    assert failure == {
        "kind": "failure",
        "risk": risk,
        "frame": 102,
        "notice": "failure_pausing",
    }
    assert risk > 67
    press = {"kind": "pause_requested", "entity_id": "button.x1c_pause", "risk": risk}
    assert first == {**press, "attempt": 1, "error": None}
    assert second == {**press, "attempt": 2, "error": None}
    assert failed == {
        "kind": "pause_failed",
        "entity_id": "button.x1c_pause",
        "attempts": 2,
    }


async def test_a_press_that_fails_is_recorded_with_its_error(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The error the pause button raised is kept."""
    printer.state.pause_failure = ConnectionResetError("printer unreachable")
    await reach_pause_level(hass, freezer, ml_server)
    presses = [e for e in events(printing_entry) if e["kind"] == "pause_requested"]
    assert [press["error"] for press in presses] == ["printer unreachable"] * 2
    assert kinds(printing_entry)[-1] == "pause_failed"


@pytest.mark.parametrize("printer_overrides", [{CONF_ACTION: "pause_and_off"}])
@pytest.mark.parametrize("failure", [None, OSError("plug unreachable")])
async def test_the_power_off_is_recorded(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    failure: OSError | None,
) -> None:
    """After the pause and its confirmation, the power switch, and how it went."""
    printer.state.power_failure = failure
    await reach_pause_level(hass, freezer, ml_server)
    await next_poll(hass, freezer, 121)
    assert kinds(printing_entry) == [
        "failure",
        "pause_requested",
        "pause_confirmed",
        "power_off",
    ]
    assert events(printing_entry)[-1] == {
        "kind": "power_off",
        "entity_id": "switch.x1c_power",
        "error": None if failure is None else "plug unreachable",
    }


async def test_a_pause_the_user_asks_for_is_recorded_without_a_risk(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """The pause_print service presses the same button; no risk asked for it."""
    await hass.services.async_call(
        DOMAIN, "pause_print", {"entity_id": FAILURE}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events(printing_entry) == [
        {
            "kind": "pause_requested",
            "entity_id": "button.x1c_pause",
            "attempt": 1,
            "error": None,
        },
        {"kind": "pause_confirmed", "entity_id": "button.x1c_pause", "attempt": 1},
    ]


async def test_a_refused_pause_the_user_asks_for_is_recorded(
    hass: HomeAssistant, printing_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """The user is told by the service; the history keeps it too."""
    printer.state.pause_failure = ConnectionResetError("printer unreachable")
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "pause_print", {"entity_id": FAILURE}, blocking=True
        )
    assert events(printing_entry) == [
        {
            "kind": "pause_requested",
            "entity_id": "button.x1c_pause",
            "attempt": 1,
            "error": "printer unreachable",
        }
    ]


async def test_answers_and_mute_are_recorded(
    hass: HomeAssistant, printing_entry: MockConfigEntry
) -> None:
    """Both answers, from the service and the button, and the mute."""
    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"entity_id": FAILURE, "feedback": "failed"},
        blocking=True,
    )
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.x1c_not_a_failure"}, blocking=True
    )
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.x1c_mute_this_print"}, blocking=True
    )
    assert events(printing_entry) == [
        {"kind": "acknowledged", "feedback": "failed"},
        {"kind": "acknowledged", "feedback": "not_a_failure"},
        {"kind": "muted"},
    ]


async def test_a_camera_fault_is_recorded_once_when_it_begins_and_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """However many frames it lasts: one event as it begins, one as it ends."""
    printer.camera.failure = OSError("camera offline")
    await start_print(hass, printer)
    for _ in range(3):
        await next_poll(hass, freezer, 301)
    printer.camera.failure = None
    await next_poll(hass, freezer, 301)
    assert events(loaded_entry) == [
        {
            "kind": "fault_began",
            "fault": "camera_unavailable",
            "error": "camera.workshop_cam failed: camera offline",
        },
        {"kind": "fault_cleared", "fault": "camera_unavailable"},
    ]


async def test_the_history_survives_a_restart_and_keeps_the_last_fifty(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Fifty stored events load; one more pushes out the oldest, and is written."""
    seed_print(hass_storage)
    old = History()
    for n in range(HISTORY_LENGTH):
        old.record(EventKind.WARNING, datetime(2026, 1, 1, tzinfo=UTC), n=n)
    key = storage_key(PRINTER_ID)
    hass_storage[key]["data"]["history"] = old.to_list()
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = server_entry.runtime_data.printers[PRINTER_ID]
    assert coordinator.history == old

    await hass.services.async_call(
        DOMAIN, "mute_print", {"entity_id": FAILURE}, blocking=True
    )

    stored = History.from_list(hass_storage[key]["data"]["history"])
    assert len(stored) == HISTORY_LENGTH
    assert [entry.facts.get("n") for entry in stored][:2] == [1, 2]
    last = stored.entries[-1]
    assert last.kind is EventKind.MUTED
    assert last.time - datetime.now(UTC) < timedelta(seconds=5)
    assert stored == coordinator.history
