"""The printer coordinator: print tracking, faults, backoff and recovery."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.obico.const import (
    CONF_JOB_ENTITY,
    EVENT_FAILURE_DETECTED,
    EVENT_WARNING,
)
from custom_components.obico.coordinator import PrinterCoordinator
from tests.conftest import CLEAN, INTERVAL, SPAGHETTI, next_poll
from tests.fakes import JOB, FakePrinter
from tests.http_server import async_resume_http
from tests.obico_ml_server import FakeObicoMlServer

DETECTION_STATE = "sensor.x1c_detection_state"
FRAMES = "sensor.x1c_frames_analyzed"


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def coordinator_of(entry: MockConfigEntry) -> PrinterCoordinator:
    """The one printer coordinator of the entry."""
    (coordinator,) = entry.runtime_data.printers.values()
    return coordinator


async def start_print(hass: HomeAssistant, printer: FakePrinter) -> None:
    """The printer starts printing; the first frame is analysed at once."""
    printer.state.set("running")
    await hass.async_block_till_done()


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


async def test_pause_keeps_the_print_and_resume_continues_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A paused print is not analysed, and keeps its history for the resume."""
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

    printer.state.set("running")
    await hass.async_block_till_done()
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
    long_mean = coordinator.prediction.rolling_mean_long
    assert long_mean > 0

    printer.state.set("finish")
    await hass.async_block_till_done()
    assert state_of(hass, DETECTION_STATE) == "idle"
    await start_print(hass, printer)

    assert state_of(hass, FRAMES) == "1"
    assert coordinator.prediction.lifetime_frame_num == 6
    assert coordinator.prediction.rolling_mean_long == pytest.approx(
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
        await hass.async_block_till_done()
    assert state_of(hass, DETECTION_STATE) == "warming_up"
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


def _set_mode(mode: str) -> Any:
    async def apply(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
        server.mode = mode

    return apply


def _set_token(token: str) -> Any:
    async def apply(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
        server.token = token

    return apply


async def _cut_ha_off(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await hass.http.stop()


async def _reconnect_ha(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await async_resume_http(hass)


FAULTS = {
    # 5xx: the server is there but broken.
    "server_error": (_set_mode("error_500"), _set_mode("normal")),
    # 400: the ML server cannot fetch the frame from Home Assistant.
    "frame_unreachable": (_cut_ha_off, _reconnect_ha),
    # 200 without fetching the frame: a pre-2024 server hiding an error.
    "legacy_silent_error": (_set_mode("legacy"), _set_mode("normal")),
    "garbage": (_set_mode("garbage"), _set_mode("normal")),
    "wrong_shape": (_set_mode("wrong_shape"), _set_mode("normal")),
    "nan": (_set_mode("nan"), _set_mode("normal")),
    "huge": (_set_mode("huge"), _set_mode("normal")),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_ml_faults_never_act_and_recover_by_themselves(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    fault: str,
) -> None:
    """An ML fault shows as ml_unavailable, never acts, and clears by itself."""
    start_fault, clear_fault = FAULTS[fault]
    events = async_capture_events(hass, EVENT_FAILURE_DETECTED)
    events += async_capture_events(hass, EVENT_WARNING)
    # Spaghetti is queued: whatever goes wrong must not turn into a pause.
    ml_server.script(*([SPAGHETTI] * 200))
    await start_fault(ml_server, hass)
    await start_print(hass, printer)
    for _ in range(8):
        await next_poll(hass, freezer, 301)

    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert state_of(hass, FRAMES) == "0"
    assert printer.state.pause_presses == 0
    assert events == []
    assert persistent_notification._async_get_or_create_notifications(hass) == {}

    await clear_fault(ml_server, hass)
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "1"
    assert coordinator_of(loaded_entry).update_interval == timedelta(seconds=INTERVAL)


async def test_ml_server_down_is_reported_and_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that refuses connections is ml_unavailable, logged once; it returns."""
    caplog.set_level(logging.INFO, logger="custom_components.obico")
    port = int(ml_server.url.rsplit(":", 1)[1])
    await ml_server.stop()
    await start_print(hass, printer)
    for _ in range(3):
        await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert printer.state.pause_presses == 0
    assert caplog.text.count("the Obico ML server failed") == 1

    await ml_server.start(port)
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "1"
    assert "X1C: analysing frames again" in caplog.text


async def test_backoff_doubles_up_to_five_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Each failure doubles the wait, up to five minutes; the next poll waits."""
    coordinator = coordinator_of(loaded_entry)
    ml_server.mode = "error_500"
    await start_print(hass, printer)
    waits = []
    for _ in range(6):
        waits.append(coordinator.update_interval.total_seconds())
        requests = len(ml_server.requests)
        # Home Assistant schedules polls on whole seconds, give or take one.
        await next_poll(hass, freezer, waits[-1] - 2)
        assert len(ml_server.requests) == requests, "polled before the backoff"
        await next_poll(hass, freezer, 3)
        assert len(ml_server.requests) == requests + 1
    assert waits == [20, 40, 80, 160, 300, 300]


async def test_rejected_token_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A 401 asks the user for the new token and never acts."""
    ml_server.token = "rotated"
    ml_server.script(*([SPAGHETTI] * 50))
    await start_print(hass, printer)
    for _ in range(3):
        await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert printer.state.pause_presses == 0
    flows = hass.config_entries.flow.async_progress_by_handler("obico")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded_entry.entry_id


async def test_camera_failure_skips_the_poll_and_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A camera that fails costs a frame, not the print; no backoff."""
    await start_print(hass, printer)
    printer.camera.broken = True
    await next_poll(hass, freezer)
    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"
    assert state_of(hass, FRAMES) == "1"
    assert len(ml_server.requests) == 1
    assert coordinator_of(loaded_entry).update_interval == timedelta(seconds=INTERVAL)

    printer.camera.broken = False
    await next_poll(hass, freezer)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "2"


async def test_a_late_answer_for_a_paused_print_is_dropped(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A frame analysed while the printer paused does not count for the print."""
    coordinator = coordinator_of(loaded_entry)
    ml_server.inference_delay = 0.3
    coordinator.phase = coordinator.printer.phase_of("running")
    refresh = hass.async_create_task(coordinator.async_refresh())
    await ml_server.request_arrived.wait()
    printer.state.set("pause")
    await refresh
    assert coordinator.prediction.current_frame_num == 0
    assert state_of(hass, DETECTION_STATE) == "paused"


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
    assert coordinator_of(loaded_entry).prediction.current_frame_num == 2
