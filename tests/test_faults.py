"""Nothing a camera, an image entity or the ML server does stops detection.

Each fault class is made to happen through a real entity or the loopback ML
server. Every one shows in ``detection_state`` (``camera_unavailable`` for all
that came from the camera, ``ml_unavailable`` for the ML server), keeps the
entities available, is logged once as a WARNING and once as an INFO when it
clears, backs off, never acts, and clears by itself.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.frames import MAX_TOTAL_BYTES
from tests.conftest import (
    INTERVAL,
    SPAGHETTI,
    capture_alerts,
    next_poll,
    start_print,
    state_of,
    tracebacks_of_ours,
    watch_image_entity,
)
from tests.fakes import FakeCamera, FakePrinter
from tests.http_server import async_resume_http
from tests.obico_ml_server import FakeObicoMlServer, make_jpeg, make_png

DETECTION_STATE = "sensor.x1c_detection_state"
FRAMES = "sensor.x1c_frames_analyzed"
LOGGER_NAME = "custom_components.obico"


def assert_nothing_done(hass: HomeAssistant, printer: FakePrinter) -> None:
    """No pause, no failure, no notification: an error is never acted on."""
    assert printer.state.pause_presses == 0
    assert state_of(hass, "binary_sensor.x1c_failure") == "off"
    assert persistent_notification._async_get_or_create_notifications(hass) == {}


def assert_entities_available(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Every entity of the printer still shows a state."""
    states = [
        state
        for state in hass.states.async_all()
        if state.entity_id.startswith(("sensor.x1c_", "binary_sensor.x1c_"))
    ]
    assert states
    assert [s.entity_id for s in states if s.state == STATE_UNAVAILABLE] == []


def set_frame(frame: bytes | None) -> Callable[[FakeCamera], None]:
    """Make the camera return ``frame``."""

    def apply(camera: FakeCamera) -> None:
        camera.frame = frame

    return apply


def raise_(failure: BaseException) -> Callable[[FakeCamera], None]:
    """Make the camera raise ``failure``."""

    def apply(camera: FakeCamera) -> None:
        camera.failure = failure

    return apply


CAMERA_FAULTS: dict[str, Callable[[FakeCamera], None]] = {
    "home_assistant_error": raise_(HomeAssistantError("camera offline")),
    "connection_reset": raise_(ConnectionResetError("reset by peer")),
    "driver_bug": raise_(RuntimeError("list index out of range")),
    "its_own_timeout": raise_(TimeoutError()),
    "no_picture": set_frame(None),
    "not_an_image": set_frame(b"<html><body>Please log in</body></html>"),
    "empty": set_frame(b""),
    "truncated_jpeg": set_frame(make_jpeg(3840, 2160)[:600]),
    # A picture the ML server would take, with more bytes after it than the
    # frame store holds in all.
    "larger_than_the_store": set_frame(make_jpeg() + bytes(MAX_TOTAL_BYTES)),
}


@pytest.mark.parametrize("fault", list(CAMERA_FAULTS))
async def test_camera_faults_are_the_cameras_and_clear_by_themselves(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """camera_unavailable, logged once, backed off, never acted on, then over."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    ml_server.script(*([SPAGHETTI] * 100))
    good_frame = printer.camera.frame
    CAMERA_FAULTS[fault](printer.camera)
    await start_print(hass, printer)
    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"

    # Backed off: not again after the interval, but after twice that.
    await next_poll(hass, freezer)
    assert printer.camera.captures <= 1
    await next_poll(hass, freezer, INTERVAL)
    for _ in range(3):
        await next_poll(hass, freezer, 301)

    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"
    assert state_of(hass, FRAMES) == "0"
    assert ml_server.requests == []
    assert_nothing_done(hass, printer)
    assert_entities_available(hass, loaded_entry)
    assert caplog.text.count("could not get a frame from the camera") == 1
    assert tracebacks_of_ours(caplog) == []

    printer.camera.failure = None
    printer.camera.frame = good_frame
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "1"
    assert "X1C: analyzing frames again" in caplog.text
    # Back at the interval once it works.
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "2"


async def test_a_camera_that_never_answers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A camera that hangs is given up on after the camera timeout."""
    # Not under a frozen clock, so that the (shortened) timeout runs out.
    printer.camera.hangs = True
    with (
        patch("custom_components.obico.round_trip.CAMERA_TIMEOUT", 0.05),
        patch("homeassistant.components.camera.CAMERA_IMAGE_TIMEOUT", 0.05),
    ):
        await start_print(hass, printer)
    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"
    assert "camera.workshop_cam" in caplog.text
    assert ml_server.requests == []
    assert_nothing_done(hass, printer)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"failure": OSError("snapshot URL unreachable")}, id="raises"),
        pytest.param({"picture": b"\x00" * 100}, id="not_an_image"),
    ],
)
async def test_image_entity_faults_are_the_cameras(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    fault: dict[str, Any],
) -> None:
    """An image entity as the camera fails the same way, and recovers."""
    picture = make_png(80, 60)
    image = await watch_image_entity(hass, server_entry, picture)
    for name, value in fault.items():
        setattr(image, name, value)
    await start_print(hass, printer)
    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"
    assert ml_server.requests == []

    image.failure, image.picture = None, picture
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert ml_server.fetched == [picture]


def mode(name: str) -> tuple[Any, Any]:
    """A fault the ML server answers with, and its end."""

    async def start(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
        server.mode = name

    async def end(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
        server.mode = "normal"

    return start, end


async def _cut_ha_off(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await hass.http.stop()


async def _reconnect_ha(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await async_resume_http(hass)


ML_FAULTS: dict[str, tuple[Any, Any]] = {
    # 5xx: the server is there but broken.
    "server_error": mode("error_500"),
    # 400: the ML server cannot fetch the frame from Home Assistant.
    "frame_unreachable": (_cut_ha_off, _reconnect_ha),
    # 200 without fetching the frame: a pre-2024 server hiding an error.
    "legacy_silent_error": mode("legacy"),
    "garbage": mode("garbage"),
    "wrong_shape": mode("wrong_shape"),
    "nan": mode("nan"),
    "huge": mode("huge"),
    "deeply_nested": mode("deeply_nested"),
    "unprocessable": mode("reject_422"),
}


@pytest.mark.parametrize("fault", list(ML_FAULTS))
async def test_ml_faults_are_the_ml_servers_and_clear_by_themselves(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """ml_unavailable, logged once, backed off, never acted on, then over."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    start_fault, end_fault = ML_FAULTS[fault]
    alerts = capture_alerts(hass)
    # Spaghetti is queued: whatever goes wrong must not turn into a pause.
    ml_server.script(*([SPAGHETTI] * 200))
    await start_fault(ml_server, hass)
    await start_print(hass, printer)
    assert len(ml_server.requests) == 1
    await next_poll(hass, freezer)
    assert len(ml_server.requests) == 1, "not backed off"
    for _ in range(6):
        await next_poll(hass, freezer, 301)

    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert state_of(hass, FRAMES) == "0"
    assert alerts == []
    assert_nothing_done(hass, printer)
    assert_entities_available(hass, loaded_entry)
    assert caplog.text.count("the Obico ML server failed") == 1
    assert tracebacks_of_ours(caplog) == []

    await end_fault(ml_server, hass)
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "1"
    assert "X1C: analyzing frames again" in caplog.text


async def test_ml_server_down_is_reported_and_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that refuses connections is ml_unavailable, logged once; it returns."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    port = int(ml_server.url.rsplit(":", 1)[1])
    await ml_server.stop()
    await start_print(hass, printer)
    for _ in range(3):
        await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert_nothing_done(hass, printer)
    assert caplog.text.count("the Obico ML server failed") == 1

    await ml_server.start(port)
    await next_poll(hass, freezer, 301)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert state_of(hass, FRAMES) == "1"
    assert "X1C: analyzing frames again" in caplog.text


async def test_an_ml_server_that_never_answers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A server that hangs is given up on after the request timeout."""
    # Not under a frozen clock, so that the (shortened) timeout runs out.
    ml_server.inference_delay = 5
    ml_server.script(SPAGHETTI)
    server_entry.add_to_hass(hass)
    with patch("custom_components.obico.api.DEFAULT_REQUEST_TIMEOUT", 0.1):
        assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    await start_print(hass, printer)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    assert_nothing_done(hass, printer)


async def test_a_rejected_token_starts_reauth(
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
    assert_nothing_done(hass, printer)
    flows = hass.config_entries.flow.async_progress_by_handler("obico")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded_entry.entry_id


async def test_backoff_doubles_up_to_five_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Each failure doubles the wait after it, up to five minutes."""
    ml_server.mode = "error_500"
    await start_print(hass, printer)
    waits = []
    for _ in range(6):
        requests = len(ml_server.requests)
        waited = 0
        while len(ml_server.requests) == requests:
            await next_poll(hass, freezer, 1)
            waited += 1
        waits.append(waited)
    assert waits == [20, 40, 80, 160, 300, 300]


async def test_a_fault_of_ours_is_logged_and_the_loop_goes_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even a bug of ours in a frame does not end detection."""
    with patch("custom_components.obico.verdict.update", side_effect=ZeroDivisionError):
        await start_print(hass, printer)
    assert "unexpected error analyzing a frame" in caplog.text
    await next_poll(hass, freezer)
    assert state_of(hass, FRAMES) == "1"
