"""Shared fixtures: a real ML server, Home Assistant on a real port, a printer."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    setup_test_component_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.obico import entity
from custom_components.obico.actions import PendingWork
from custom_components.obico.alerts import AlertState, Phase
from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_POWER_OFF_DELAY,
    CONF_POWER_SWITCH,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from custom_components.obico.persistence import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    StoredPrinter,
    storage_key,
)
from custom_components.obico.prediction import PredictionState
from tests.fakes import (
    CAMERA,
    IMAGE,
    PAUSE_BUTTON,
    POWER_SWITCH,
    PRINT_STATE,
    FakeCamera,
    FakeImage,
    FakePauseButton,
    FakePauseSwitch,
    FakePowerSwitch,
    FakePrinter,
    PrinterState,
)
from tests.http_server import async_start_http
from tests.obico_ml_server import FakeObicoMlServer, FrameHost, free_port

pytest_plugins = ["tests.deprecation_guard"]

# One line per request of Home Assistant's HTTP server is noise here; and under
# a frozen clock, newer aiohttp releases cannot even format it.
logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

# One strong detection: Obico's math warns on the seeded print from its 5th
# such frame on, and never reaches the pause level.
WARNING_ONLY: list[list[Any]] = [["failure", 0.9, [100.0, 100.0, 80.0, 60.0]]]
FRAMES_TO_WARNING = 5
# What the ML server answers for a print gone wrong, and for a clean one.
SPAGHETTI: list[list[Any]] = WARNING_ONLY * 3
CLEAN: list[list[Any]] = [["failure", 0.1, [10.0, 10.0, 5.0, 5.0]]]

TOKEN = "s3cret-ml-token"
INTERVAL = 10
PRINTER_ID = "01JPRINTERX1C0000000000000"
ALERT = "event.x1c_alert"
DETECTION_STATE = "sensor.x1c_detection_state"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format, kept in tests/snapshots/, on every release.

    The plugin overrides syrupy's fixture the same way, but with syrupy 6 (the
    newest plugin's) the override is not the one pytest picks, and syrupy's own
    format and folder are used instead. A conftest fixture always wins.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A client session of the test's own, closed afterwards."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def simulator() -> AsyncGenerator[FakeObicoMlServer]:
    """A loopback Obico ML API without a token or an inference delay."""
    server = FakeObicoMlServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def ml_server(socket_enabled: None) -> AsyncGenerator[FakeObicoMlServer]:
    """A loopback Obico ML API that wants a token."""
    server = FakeObicoMlServer(token=TOKEN)
    # Its retries would otherwise wait on the frozen clock of the tests.
    server.fetch_backoff = 0
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def frame_host(socket_enabled: None) -> AsyncGenerator[FrameHost]:
    """A plain web server on loopback, such as a camera's snapshot URL."""
    host = FrameHost()
    await host.start()
    yield host
    await host.stop()


@pytest.fixture
async def ha_url(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[str]:
    """Home Assistant's HTTP server, answering on a real loopback port."""
    port = free_port()
    await async_start_http(hass, port)
    yield f"http://127.0.0.1:{port}"
    await hass.http.stop()


@pytest.fixture
async def printer(hass: HomeAssistant, ha_url: str) -> FakePrinter:
    """A printer that is idle, with a camera, a pause button and a power switch."""
    state = PrinterState(hass)
    camera = FakeCamera()
    setup_test_component_platform(hass, "camera", [camera])
    setup_test_component_platform(hass, "button", [FakePauseButton(state)])
    setup_test_component_platform(
        hass, "switch", [FakePowerSwitch(state), FakePauseSwitch(state)]
    )
    for domain in ("camera", "button", "switch"):
        assert await async_setup_component(hass, domain, {domain: {"platform": "test"}})
    await hass.async_block_till_done()
    assert hass.states.get(CAMERA) is not None
    assert hass.states.get(PAUSE_BUTTON) is not None
    assert hass.states.get(POWER_SWITCH) is not None
    state.set("idle")
    return FakePrinter(state=state, camera=camera)


def printer_device(
    hass: HomeAssistant, subentry_id: str = PRINTER_ID
) -> dr.DeviceEntry | None:
    """A printer's device (the test printer's by default), if it is registered."""
    devices = (
        entity.printer_device(hass, entry.entry_id, subentry_id)
        for entry in hass.config_entries.async_entries(DOMAIN)
    )
    return next((device for device in devices if device is not None), None)


def printer_data(**overrides: Any) -> dict[str, Any]:
    """The subentry data of the test printer."""
    return {
        CONF_FRAME_ENTITY: CAMERA,
        CONF_PRINT_STATE_ENTITY: PRINT_STATE,
        CONF_PRINTING_STATES: ["running"],
        CONF_PAUSED_STATES: ["pause"],
        CONF_ACTION: "pause",
        CONF_PAUSE_ENTITY: PAUSE_BUTTON,
        CONF_POWER_SWITCH: POWER_SWITCH,
        CONF_POWER_OFF_DELAY: 120,
        CONF_SENSITIVITY: 1.0,
        CONF_INTERVAL: INTERVAL,
    } | overrides


@pytest.fixture
def printer_overrides() -> dict[str, Any]:
    """Override to change the test printer's settings."""
    return {}


@pytest.fixture
def server_entry(
    ml_server: FakeObicoMlServer, ha_url: str, printer_overrides: dict[str, Any]
) -> MockConfigEntry:
    """A server entry for the loopback ML server, with one printer."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Obico ML API (127.0.0.1)",
        unique_id=ml_server.url,
        data={
            CONF_ML_URL: ml_server.url,
            CONF_TOKEN: TOKEN,
            CONF_HA_URL: ha_url,
            CONF_MAX_CONCURRENT: 1,
        },
        subentries_data=[
            ConfigSubentryDataWithId(
                data=printer_data(**printer_overrides),
                subentry_id=PRINTER_ID,
                subentry_type=SUBENTRY_PRINTER,
                title="X1C",
                unique_id=CAMERA,
            )
        ],
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, server_entry: MockConfigEntry, printer: FakePrinter
) -> MockConfigEntry:
    """The server entry, set up."""
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    return server_entry


@pytest.fixture
async def printing_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> MockConfigEntry:
    """A printer a hundred calm frames into a print, found so at start-up."""
    seed_print(hass_storage)
    printer.state.set("running")
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    return server_entry


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def tracebacks_of_ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What our code logged with a traceback."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.obico") and record.exc_info
    ]


def notifications(hass: HomeAssistant) -> dict[str, Any]:
    """The persistent notifications now shown, by id."""
    return dict(persistent_notification._async_get_or_create_notifications(hass))


async def start_print(hass: HomeAssistant, printer: FakePrinter) -> None:
    """The printer starts printing; the first frame is analyzed at once."""
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_image_entity(hass: HomeAssistant, picture: bytes) -> FakeImage:
    """An image entity serving ``picture``, like a printer's last snapshot."""
    image = FakeImage(hass, picture)
    setup_test_component_platform(hass, "image", [image])
    assert await async_setup_component(hass, "image", {"image": {"platform": "test"}})
    await hass.async_block_till_done()
    return image


async def watch_image_entity(
    hass: HomeAssistant, server_entry: MockConfigEntry, picture: bytes
) -> FakeImage:
    """Set up the server entry with an image entity as the printer's camera."""
    image = await add_image_entity(hass, picture)
    server_entry.add_to_hass(hass)
    subentry = server_entry.subentries[PRINTER_ID]
    hass.config_entries.async_update_subentry(
        server_entry, subentry, data={**subentry.data, CONF_FRAME_ENTITY: IMAGE}
    )
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    return image


async def next_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = INTERVAL + 1
) -> None:
    """Let time pass until the coordinator's next poll has run.

    The coordinator staggers its polls by up to half a second, hence the extra;
    scheduled polls run as background tasks, hence waiting for those too.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def seed_print(
    hass_storage: dict[str, Any],
    *,
    frames: int = 100,
    mean: float = 0.1,
    alerts: AlertState | None = None,
    pending: PendingWork | None = None,
) -> PredictionState:
    """Store a print well past warm-up with a calm history, as a restart finds it.

    Tests of what happens at the warning and pause levels start from here
    instead of playing a hundred frames first.
    """
    state = PredictionState(
        current_frame_num=frames,
        lifetime_frame_num=frames,
        current_p=mean,
        ewm_mean=mean,
        rolling_mean_short=mean,
        rolling_mean_long=mean,
    )
    key = storage_key(PRINTER_ID)
    hass_storage[key] = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": key,
        "data": StoredPrinter(
            prediction=state,
            alerts=alerts or AlertState(),
            phase=Phase.PRINTING,
            job=None,
            enabled=True,
            pending=pending or PendingWork(),
        ).to_dict(),
    }
    return state


async def reach_pause_level(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    answers: int = 10,
) -> None:
    """Turn a calm seeded print into spaghetti: Obico's pause level at frame 2.

    The ML server then has ``answers`` spaghetti answers queued in all.
    """
    ml_server.script(*([SPAGHETTI] * answers))
    await next_poll(hass, freezer)
    await next_poll(hass, freezer)


async def reach_warning(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    answers: int = FRAMES_TO_WARNING,
) -> None:
    """Play the seeded print up to its first warning, at its 5th frame.

    The ML server has ``answers`` WARNING_ONLY answers queued in all.
    """
    ml_server.script(*([WARNING_ONLY] * answers))
    for _ in range(FRAMES_TO_WARNING):
        await next_poll(hass, freezer)
    assert state_of(hass, DETECTION_STATE) == "warning"


def capture_alerts(hass: HomeAssistant) -> list[dict[str, Any]]:
    """What each event of the test printer's alert entity says, from now on.

    An event is a new state; the state an entity gets back when it is set up
    again (from unavailable, or at a start) is none.
    """
    alerts: list[dict[str, Any]] = []

    @callback
    def fired(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if (
            old is not None
            and new is not None
            and STATE_UNAVAILABLE not in (old.state, new.state)
            and new.state not in (old.state, STATE_UNKNOWN)
        ):
            alerts.append(
                {
                    key: new.attributes[key]
                    for key in ("event_type", "risk", "action", "printer")
                }
            )

    async_track_state_change_event(hass, ALERT, fired)
    return alerts
