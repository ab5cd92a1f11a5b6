"""Setting up, unloading and removing servers and printers."""

from __future__ import annotations

from collections.abc import Mapping
import importlib
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.const import ALWAYS_CONTINUOUS_DOMAINS
from homeassistant.components.logbook.helpers import is_sensor_continuous
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.obico import PLATFORMS
from custom_components.obico.persistence import storage_key
from tests.conftest import PRINTER_ID, next_poll, printer_device
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer

FAILURE = "binary_sensor.x1c_failure"
ENTITY_FIELDS = (
    "entity_id",
    "unique_id",
    "platform",
    "translation_key",
    "has_entity_name",
    "original_name",
    "original_device_class",
    "original_icon",
    "entity_category",
    "unit_of_measurement",
    "supported_features",
    "options",
    "disabled_by",
    "hidden_by",
)
DEVICE_FIELDS = (
    "identifiers",
    "connections",
    "name",
    "manufacturer",
    "model",
    "model_id",
    "entry_type",
    "hw_version",
    "sw_version",
    "serial_number",
    "configuration_url",
    "via_device_id",
)


async def test_unload_writes_the_state_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Unloading keeps the print's state on disk and sends nothing more."""
    printer.state.set("running")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(FAILURE).state == STATE_UNAVAILABLE
    stored = hass_storage[storage_key(PRINTER_ID)]["data"]
    assert stored["phase"] == "printing"
    assert stored["prediction"]["current_frame_num"] == 1
    for _ in range(3):
        await next_poll(hass, freezer)
    assert len(ml_server.requests) == 1


async def test_a_server_that_is_down_at_start_still_loads(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The printers' entities exist even while the ML server is down."""
    await ml_server.stop()
    server_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    assert server_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.x1c_detection_state").state == "idle"


async def test_removing_a_printer_removes_its_device_and_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A removed printer leaves nothing behind."""
    printer.state.set("running")
    await hass.async_block_till_done()
    assert hass.config_entries.async_remove_subentry(loaded_entry, PRINTER_ID)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.printers == {}
    assert printer_device(hass) is None
    assert entity_registry.async_get(FAILURE) is None
    assert storage_key(PRINTER_ID) not in hass_storage


async def test_removing_the_server_removes_every_printer_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Removing the server forgets its printers' lifetime baselines."""
    printer.state.set("running")
    await hass.async_block_till_done()
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(PRINTER_ID) not in hass_storage


async def test_entities(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The printer's device and entities, as a user first sees them."""
    device = printer_device(hass)
    assert device is not None
    assert _as_declared(device) == snapshot(name="device")
    entries = sorted(
        er.async_entries_for_config_entry(entity_registry, loaded_entry.entry_id),
        key=lambda entry: entry.entity_id,
    )
    assert [entry.entity_id for entry in entries] == snapshot(name="entity_ids")
    for entry in entries:
        assert entry.device_id == device.id
        assert entry.config_subentry_id == PRINTER_ID
        assert _entry_as_declared(entry) == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        if entry.disabled_by is not None:
            # The raw scores are there for a bug report; a user turns them on.
            assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
            assert state is None
            continue
        assert state is not None
        assert _as_shown(state) == snapshot(name=f"{entry.entity_id}-state")


def _as_declared(device: dr.DeviceEntry) -> dict[str, Any]:
    """What the integration says about its device.

    Not the registry's own bookkeeping, which each release extends (2026.10
    ties a device to one config entry and subentry, for one).
    """
    return {field: getattr(device, field) for field in DEVICE_FIELDS}


def _entry_as_declared(entry: er.RegistryEntry) -> dict[str, Any]:
    """What the integration says about an entity in the registry.

    Not the registry's bookkeeping, which each release extends (2026.10 lists
    the computed name among the aliases, for one), and with capability names as
    strings: 2026.10 names them with enum members.
    """
    declared = {field: getattr(entry, field) for field in ENTITY_FIELDS}
    declared["capabilities"] = _plain_keys(entry.capabilities)
    return declared


def _plain_keys(mapping: Mapping[Any, Any] | None) -> dict[str, Any] | None:
    return None if mapping is None else {str(k): v for k, v in mapping.items()}


def _as_shown(state: State) -> dict[str, Any]:
    """An entity's state and attributes, as the frontend shows them.

    Attribute names are strings here: 2026.10 names some with enum members.
    An image's access token is random, and shown as "<token>".
    """
    attributes = _plain_keys(state.attributes)
    if attributes is not None and (token := attributes.get("access_token")):
        attributes = {
            key: value.replace(token, "<token>") if isinstance(value, str) else value
            for key, value in attributes.items()
        }
    return {
        "entity_id": state.entity_id,
        "state": state.state,
        "attributes": attributes,
    }


async def test_values_that_change_every_frame_stay_out_of_the_logbook(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Every frame changes them: the logbook leaves them out, statistics keep them.

    Home Assistant's logbook skips sensors with a state class or a unit; what
    it would log every frame is either such a sensor or off by default.
    """
    for entity_id in ("sensor.x1c_current_score", "sensor.x1c_smoothed_score"):
        entity_registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(printing_entry.entry_id)
    await hass.async_block_till_done()
    await next_poll(hass, freezer)

    every_frame = (
        "sensor.x1c_frames_analyzed",
        "sensor.x1c_current_score",
        "sensor.x1c_smoothed_score",
        "sensor.x1c_failure_risk",
    )
    for entity_id in every_frame:
        assert is_sensor_continuous(hass, entity_registry, entity_id), entity_id
    last_analysis = entity_registry.async_get("sensor.x1c_last_analysis")
    assert last_analysis is not None
    assert last_analysis.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # The detection state changes only when the detector's state does: logged.
    assert not is_sensor_continuous(hass, entity_registry, "sensor.x1c_detection_state")


def test_the_last_frame_stays_out_of_the_logbook_from_2026_5() -> None:
    """Its state, the time of the frame, changes every frame.

    Home Assistant 2026.5 counts image entities as continuous (core PR
    169240), so its logbook leaves them out; the README tells users of older
    releases.
    """
    assert ("image" in ALWAYS_CONTINUOUS_DOMAINS) == (
        (MAJOR_VERSION, MINOR_VERSION) >= (2026, 5)
    )


def test_every_platform_sets_parallel_updates() -> None:
    """Each platform says how many updates may run at once, as Home Assistant asks.

    Without it Home Assistant guesses (one at a time for entities that poll).
    """
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.obico.{platform}")
        assert type(getattr(module, "PARALLEL_UPDATES", None)) is int, platform
