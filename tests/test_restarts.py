"""Pending work and saved state survive restarts and reloads.

A pause waiting for the printer's confirmation and a power-off waiting for its
time are saved with their deadlines. Home Assistant is restarted (the entry is
unloaded and set up again on the same storage) at each point of the pause and
power-off sequence, and what was pending is carried out as if nothing happened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.obico.actions import PendingPause, PendingPowerOff, PendingWork
from custom_components.obico.alerts import AlertState
from custom_components.obico.const import CONF_ACTION, DOMAIN, PAUSE_VERIFY_TIMEOUT
from custom_components.obico.persistence import SAVE_DELAY, storage_key
from tests.conftest import (
    CLEAN,
    INTERVAL,
    PRINTER_ID,
    next_poll,
    notifications,
    reach_pause_level,
    seed_print,
)
from tests.fakes import POWER_SWITCH, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"
POWER_DELAY = 120  # the test printer's power-off delay
ISSUE = f"pause_not_confirmed_{PRINTER_ID}"
PAUSE_AND_OFF = [{CONF_ACTION: "pause_and_off"}]


def notification_titles(hass: HomeAssistant) -> list[str]:
    """The titles of the persistent notifications now shown."""
    return [notification["title"] for notification in notifications(hass).values()]


def stored(hass_storage: dict[str, Any]) -> dict[str, Any]:
    """The printer's state as written to disk."""
    data: dict[str, Any] = hass_storage[storage_key(PRINTER_ID)]["data"]
    return data


async def stop(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant goes down: the entry unloads."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant comes back: the entry is set up on the same storage."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def downtime(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Time passes while Home Assistant is down."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_a_confirmation_waiting_at_a_restart_goes_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Restarted while the first press waits: retried at its deadline, then reported."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    assert printer.state.pause_presses == 1
    await stop(hass, printing_entry)
    assert stored(hass_storage)["pending"]["pause"]["attempt"] == 1

    await downtime(hass, freezer, 20)
    await start(hass, printing_entry)
    assert printer.state.pause_presses == 1
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT - 20)
    assert printer.state.pause_presses == 2, "retried at the first deadline"

    await stop(hass, printing_entry)
    await start(hass, printing_entry)
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert printer.state.pause_presses == 2
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE) is not None
    assert notification_titles(hass) == ["Could not pause X1C"]
    assert stored(hass_storage)["pending"]["pause"] is None


async def test_a_pause_that_happened_while_down_is_confirmed_at_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The printer paused while Home Assistant was down: no second press."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    await stop(hass, printing_entry)
    printer.state.set("pause")
    await downtime(hass, freezer, 300)
    await start(hass, printing_entry)

    assert printer.state.pause_presses == 1
    assert notification_titles(hass) == ["Print paused on X1C"]
    assert stored(hass_storage)["pending"]["pause"] is None
    await next_poll(hass, freezer, 600)
    assert printer.state.pause_presses == 1
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE) is None


async def test_a_crash_between_the_decision_and_the_press(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The decision was saved, the press never went out: it goes out after all."""
    now = dt_util.utcnow().timestamp()
    seed_print(
        hass_storage,
        alerts=AlertState(paused_at=now, alerted_at=now, failure=True),
        pending=PendingWork(
            pause=PendingPause("button.x1c_pause", 1, now + PAUSE_VERIFY_TIMEOUT, 80.0)
        ),
    )
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    await start(hass, server_entry)
    assert printer.state.pause_presses == 0
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert printer.state.pause_presses == 1
    assert printer.state.value == "pause"
    assert notification_titles(hass) == ["Print paused on X1C"]


@pytest.mark.parametrize("printer_overrides", PAUSE_AND_OFF)
@pytest.mark.parametrize("down_for", [0, 30, POWER_DELAY - 21])
async def test_a_power_off_keeps_its_time_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    down_for: int,
) -> None:
    """The power goes off at its time from the decision, however long the break."""
    await reach_pause_level(hass, freezer, ml_server)
    decided_at = dt_util.utcnow().timestamp()  # at the frame just analyzed
    due = stored(hass_storage)["pending"]["power_off"]["due"]
    assert due == pytest.approx(decided_at + POWER_DELAY, abs=1)

    await stop(hass, printing_entry)
    await downtime(hass, freezer, down_for)
    await start(hass, printing_entry)
    assert hass.states.get(POWER_SWITCH).state == STATE_ON
    await next_poll(hass, freezer, due - dt_util.utcnow().timestamp() - 1)
    assert printer.state.power_offs == 0
    await next_poll(hass, freezer, 2)
    assert printer.state.power_offs == 1
    assert stored(hass_storage)["pending"]["power_off"] is None


@pytest.mark.parametrize("printer_overrides", PAUSE_AND_OFF)
async def test_a_power_off_due_while_down_happens_at_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Its time passed while Home Assistant was down: at once, once."""
    await reach_pause_level(hass, freezer, ml_server)
    await stop(hass, printing_entry)
    await downtime(hass, freezer, POWER_DELAY * 3)
    await start(hass, printing_entry)
    assert printer.state.power_offs == 1
    assert hass.states.get(POWER_SWITCH).state == STATE_OFF

    await stop(hass, printing_entry)
    await start(hass, printing_entry)
    await next_poll(hass, freezer, POWER_DELAY)
    assert printer.state.power_offs == 1


@pytest.mark.parametrize("printer_overrides", PAUSE_AND_OFF)
async def test_not_a_failure_after_a_restart_calls_everything_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The user's answer cancels the pending confirmation and the power-off."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    await stop(hass, printing_entry)
    await start(hass, printing_entry)
    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"entity_id": FAILURE, "feedback": "not_a_failure"},
        blocking=True,
    )
    assert stored(hass_storage)["pending"] == PendingWork().to_dict()
    await next_poll(hass, freezer, POWER_DELAY * 2)
    assert printer.state.pause_presses == 1
    assert printer.state.power_offs == 0
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE) is None


@pytest.mark.parametrize("printer_overrides", PAUSE_AND_OFF)
async def test_a_new_print_after_a_restart_calls_everything_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Nothing decided for the old print acts on the next one."""
    await reach_pause_level(hass, freezer, ml_server)
    await stop(hass, printing_entry)
    printer.state.set("idle")
    await start(hass, printing_entry)
    ml_server.script(*([CLEAN] * 30))
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert stored(hass_storage)["pending"] == PendingWork().to_dict()
    await next_poll(hass, freezer, POWER_DELAY * 2)
    assert printer.state.power_offs == 0
    assert hass.states.get(FAILURE).state == STATE_OFF


def test_pending_work_reads_back_what_was_written_and_drops_the_rest() -> None:
    """The stored form round-trips; damaged parts read as nothing pending."""
    now = 1_800_000_000.0
    work = PendingWork(
        pause=PendingPause("button.x1c_pause", 2, now + 5, None),
        power_off=PendingPowerOff(POWER_SWITCH, now + 5),
    )
    assert PendingWork.from_dict(work.to_dict()) == work
    damaged = [
        {"pause": {"entity_id": 3}, "power_off": "x"},
        {"pause": {"entity_id": "b.x", "attempt": "1", "deadline": now}},
        {"pause": {"entity_id": "b.x", "attempt": 1, "deadline": float("nan")}},
        {"power_off": {"switch": POWER_SWITCH, "due": None}},
        {"power_off": {"switch": None, "due": now}},
        {},
    ]
    for data in damaged:
        assert PendingWork.from_dict(data) == PendingWork(), data
    assert PendingWork.from_dict(
        {"pause": {"entity_id": "b.x", "attempt": 1, "deadline": now, "risk": "high"}}
    ) == PendingWork(pause=PendingPause("b.x", 1, now, None))


async def test_frames_are_saved_while_they_keep_coming(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A stream of frames is written at least every SAVE_DELAY, never put off."""
    ml_server.script(*([CLEAN] * 40))
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    written: list[int] = []
    for _ in range(30):
        await next_poll(hass, freezer, INTERVAL)
        written.append(stored(hass_storage)["prediction"]["current_frame_num"])
    frames = int(hass.states.get("sensor.x1c_frames_analyzed").state)
    assert frames == 31
    # At every moment what is on disk is at most SAVE_DELAY of frames behind.
    behind = [frame - saved for frame, saved in zip(range(2, 32), written, strict=True)]
    assert max(behind) <= SAVE_DELAY // INTERVAL + 1
    assert len(set(written)) > 10
