"""The detection loop: when frames are analyzed, and what counts towards the math."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import CONF_JOB_ENTITY
from custom_components.obico.coordinator import PrinterCoordinator
from tests.conftest import CLEAN, INTERVAL, next_poll, start_print, state_of
from tests.fakes import JOB, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

DETECTION_STATE = "sensor.x1c_detection_state"
FRAMES = "sensor.x1c_frames_analyzed"
RISK = "sensor.x1c_failure_risk"


def coordinator_of(entry: MockConfigEntry) -> PrinterCoordinator:
    """The one printer coordinator of the entry."""
    (coordinator,) = entry.runtime_data.printers.values()
    return coordinator


async def test_idle_printer_is_not_watched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Nothing is captured or sent while the printer does not print."""
    for _ in range(3):
        await next_poll(hass, freezer)
    assert state_of(hass, DETECTION_STATE) == "idle"
    assert printer.camera.captures == 0
    assert ml_server.requests == []


async def test_frames_follow_each_other_at_the_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The first frame when the print starts, then one every interval, no sooner."""
    await start_print(hass, printer)
    assert state_of(hass, FRAMES) == "1"
    await next_poll(hass, freezer, INTERVAL - 1)
    assert state_of(hass, FRAMES) == "1"
    await next_poll(hass, freezer, 1)
    assert state_of(hass, FRAMES) == "2"
    for frames in range(3, 7):
        await next_poll(hass, freezer, INTERVAL)
        assert state_of(hass, FRAMES) == str(frames)


async def test_warms_up_for_thirty_frames_then_judges(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Obico judges nothing before frame 30."""
    ml_server.script(*([CLEAN] * 40))
    await start_print(hass, printer)
    for frame in range(2, 30):
        await next_poll(hass, freezer)
        assert state_of(hass, DETECTION_STATE) == "warming_up", frame
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "30"
    assert state_of(hass, DETECTION_STATE) == "safe"


async def test_entity_refreshes_never_analyze_a_frame(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """homeassistant.update_entity re-reads the state; only the loop analyzes."""
    assert await async_setup_component(hass, "homeassistant", {})
    await start_print(hass, printer)
    for _ in range(5):
        await hass.services.async_call(
            "homeassistant",
            "update_entity",
            {"entity_id": [FRAMES, RISK, DETECTION_STATE]},
            blocking=True,
        )
        await coordinator_of(loaded_entry).async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ml_server.requests) == 1
    assert printer.camera.captures == 1
    assert state_of(hass, FRAMES) == "1"
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "2"


async def test_pause_keeps_the_print_and_resume_continues_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A paused print is not analyzed, and keeps its history for the resume."""
    await start_print(hass, printer)
    for _ in range(4):
        await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "5"

    printer.state.set("pause")
    await hass.async_block_till_done()
    assert state_of(hass, DETECTION_STATE) == "paused"
    for _ in range(3):
        await next_poll(hass, freezer)
    assert len(ml_server.requests) == 5

    await start_print(hass, printer)
    assert state_of(hass, FRAMES) == "6"


async def test_new_print_resets_the_print_but_not_the_lifetime_baseline(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Finishing and starting again is a new print; the baseline carries over."""
    coordinator = coordinator_of(loaded_entry)
    ml_server.script(*([CLEAN] * 10))
    await start_print(hass, printer)
    for _ in range(4):
        await next_poll(hass, freezer)
    long_mean = coordinator.verdict.prediction.rolling_mean_long
    assert long_mean > 0

    printer.state.set("finish")
    await hass.async_block_till_done()
    assert state_of(hass, DETECTION_STATE) == "idle"
    await start_print(hass, printer)

    assert state_of(hass, FRAMES) == "1"
    assert coordinator.verdict.prediction.lifetime_frame_num == 6
    assert coordinator.verdict.prediction.rolling_mean_long == pytest.approx(
        long_mean + (0.1 - long_mean) / 7
    )


async def test_unavailable_print_state_does_not_end_the_print(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A printer that drops off the network for a moment keeps its print."""
    await start_print(hass, printer)
    await next_poll(hass, freezer)
    for value in ("unavailable", "unknown", "running"):
        printer.state.set(value)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "2"
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "3"


@pytest.mark.parametrize("printer_overrides", [{CONF_JOB_ENTITY: JOB}])
async def test_a_new_job_name_starts_a_new_print(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Back-to-back jobs with no idle state between them are still two prints."""
    hass.states.async_set(JOB, "benchy.3mf")
    await start_print(hass, printer)
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "2"

    hass.states.async_set(JOB, "unavailable")
    await hass.async_block_till_done()
    assert state_of(hass, FRAMES) == "2"

    hass.states.async_set(JOB, "calibration_cube.3mf")
    await hass.async_block_till_done()
    assert state_of(hass, FRAMES) == "0"
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "1"


async def test_a_late_answer_for_a_paused_print_is_dropped(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A frame analyzed while the printer paused does not count for the print."""
    ml_server.inference_delay = 0.3
    printer.state.set("running")
    await ml_server.request_arrived.wait()
    printer.state.set("pause")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ml_server.fetched) == 1
    assert coordinator_of(loaded_entry).verdict.prediction.current_frame_num == 0
    assert state_of(hass, DETECTION_STATE) == "paused"


async def test_one_frame_at_a_time(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A pause and resume while a frame is out starts no second frame beside it."""
    # Not under a frozen clock: the ML server's inference delay must pass.
    ml_server.inference_delay = 0.3
    printer.state.set("running")
    await ml_server.request_arrived.wait()
    printer.state.set("pause")
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ml_server.requests) == 1
    assert ml_server.max_in_flight_seen == 1
    assert state_of(hass, FRAMES) == "1"


async def test_detection_runs_with_every_entity_disabled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    entity_registry: er.EntityRegistry,
) -> None:
    """Hiding the entities must not switch off the protection."""
    for entity in er.async_entries_for_config_entry(
        entity_registry, loaded_entry.entry_id
    ):
        entity_registry.async_update_entity(
            entity.entity_id, disabled_by=er.RegistryEntryDisabler.USER
        )
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await start_print(hass, printer)
    await next_poll(hass, freezer)
    assert len(ml_server.requests) == 2
    assert coordinator_of(loaded_entry).verdict.prediction.current_frame_num == 2


async def test_a_print_found_at_start_up_waits_an_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """Just after a start the camera's integration may still be loading."""
    assert ml_server.requests == []
    freezer.tick(timedelta(seconds=INTERVAL - 1))
    await next_poll(hass, freezer, 0)
    assert ml_server.requests == []
    await next_poll(hass, freezer, 1)
    assert len(ml_server.requests) == 1
