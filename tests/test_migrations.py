"""Entries written by older versions load with every setting and entity kept."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import CONF_INTERVAL, DOMAIN, SUBENTRY_PRINTER
from tests.conftest import PRINTER_ID, printer_data
from tests.fakes import FakePrinter

OTHER_PRINTER_ID = "01JPRINTERP1S0000000000000"


def old_entry(
    server_entry: MockConfigEntry, **printers: dict[str, Any]
) -> MockConfigEntry:
    """The test server entry as version 1.1 wrote it, with these printers."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=server_entry.title,
        unique_id=server_entry.unique_id,
        data=server_entry.data,
        version=1,
        minor_version=1,
        subentries_data=[
            ConfigSubentryDataWithId(
                data=data,
                subentry_id=subentry_id,
                subentry_type=SUBENTRY_PRINTER,
                title=subentry_id[-4:],
                unique_id=f"camera.{subentry_id.lower()}",
            )
            for subentry_id, data in printers.items()
        ],
    )


@pytest.mark.parametrize(("stored", "migrated"), [(5, 10), (9, 10), (10, 10), (45, 45)])
async def test_an_interval_under_obicos_ten_seconds_becomes_ten(
    hass: HomeAssistant,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    stored: int,
    migrated: int,
) -> None:
    """1.2: intervals shorter than 10 s are raised to 10 s; the rest are kept."""
    entry = old_entry(
        server_entry, **{PRINTER_ID: printer_data(**{CONF_INTERVAL: stored})}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    subentry = entry.subentries[PRINTER_ID]
    assert dict(subentry.data) == printer_data(**{CONF_INTERVAL: migrated})
    assert entry.runtime_data.printers[PRINTER_ID].settings.interval == migrated


async def test_each_printer_is_migrated_on_its_own(
    hass: HomeAssistant, server_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """Two printers, one too fast: only that one changes."""
    entry = old_entry(
        server_entry,
        **{
            PRINTER_ID: printer_data(**{CONF_INTERVAL: 5}),
            OTHER_PRINTER_ID: printer_data(**{CONF_INTERVAL: 30}),
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.subentries[PRINTER_ID].data[CONF_INTERVAL] == 10
    assert entry.subentries[OTHER_PRINTER_ID].data[CONF_INTERVAL] == 30


async def test_the_last_detection_sensor_keeps_its_entity_and_history(
    hass: HomeAssistant,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    entity_registry: er.EntityRegistry,
) -> None:
    """1.2 renames the last_detection sensor to last_analysis, same entity id."""
    entry = old_entry(server_entry, **{PRINTER_ID: printer_data()})
    entry.add_to_hass(hass)
    old = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{PRINTER_ID}_last_detection",
        config_entry=entry,
        config_subentry_id=PRINTER_ID,
        suggested_object_id="x1c_last_analysis",
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    renamed = entity_registry.async_get(old.entity_id)
    assert renamed is not None
    assert renamed.id == old.id
    assert renamed.unique_id == f"{PRINTER_ID}_last_analysis"
    assert (
        entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"{PRINTER_ID}_last_detection"
        )
        is None
    )
    assert hass.states.get(old.entity_id) is not None


async def test_an_entry_of_a_newer_version_is_left_alone(
    hass: HomeAssistant, server_entry: MockConfigEntry, printer: FakePrinter
) -> None:
    """A downgrade does not load, nor change, what a newer version wrote."""
    entry = old_entry(server_entry, **{PRINTER_ID: printer_data(**{CONF_INTERVAL: 5})})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=2, minor_version=1)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.subentries[PRINTER_ID].data[CONF_INTERVAL] == 5
