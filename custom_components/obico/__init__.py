"""Obico Failure Detection: catch failing 3D prints with the Obico ML API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .answers import async_listen_for_answers
from .api import ObicoMlClient
from .const import (
    CONF_HA_URL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_TOKEN,
    DEFAULT_MAX_CONCURRENT,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry, ObicoRuntimeData
from .frames import async_get_frame_store
from .issues import async_delete_issues
from .persistence import async_remove_printer_state
from .services import async_setup_services
from .settings import migrate_printer_data, printer_settings

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the frame view, the services and the notification answers, once."""
    async_get_frame_store(hass)
    async_setup_services(hass)
    async_listen_for_answers(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> bool:
    """Start watching the printers of one ML server."""
    client = ObicoMlClient(
        async_get_clientsession(hass),
        entry.data[CONF_ML_URL],
        token=entry.data.get(CONF_TOKEN),
        max_concurrent=entry.data.get(CONF_MAX_CONCURRENT, DEFAULT_MAX_CONCURRENT),
    )
    frames = async_get_frame_store(hass)
    printers = {
        subentry_id: PrinterCoordinator(hass, entry, subentry, client, frames)
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_PRINTER
    }
    entry.runtime_data = ObicoRuntimeData(
        client=client,
        frames=frames,
        ha_url=entry.data.get(CONF_HA_URL),
        printers=printers,
    )
    await asyncio.gather(*(printer.async_initialize() for printer in printers.values()))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(
        entry.add_update_listener(
            partial(_async_entry_updated, server_data=dict(entry.data))
        )
    )
    # Nothing is watched once unloaded; a reload (a new URL) may be the fix.
    entry.async_on_unload(
        lambda: async_delete_issues(hass, entry.entry_id, list(printers))
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> bool:
    """Stop watching the printers of one ML server."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_entry_updated(
    hass: HomeAssistant, entry: ObicoConfigEntry, *, server_data: Mapping[str, Any]
) -> None:
    """Apply new settings or printers; forget printers that were removed.

    ``server_data`` is the server's data the entry was set up with. A change
    that the running printers made themselves (a new sensitivity) is already
    applied: reloading for it would only restart detection.
    """
    if entry.data == server_data and _printers_run_as_configured(entry):
        return
    removed = [
        printer
        for subentry_id, printer in entry.runtime_data.printers.items()
        if subentry_id not in entry.subentries
    ]
    await hass.config_entries.async_reload(entry.entry_id)
    for printer in removed:
        await printer.store.async_remove()


def _printers_run_as_configured(entry: ObicoConfigEntry) -> bool:
    printers = entry.runtime_data.printers
    configured = {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_PRINTER
    }
    return configured.keys() == printers.keys() and all(
        printers[subentry_id].settings == printer_settings(subentry)
        for subentry_id, subentry in configured.items()
    )


async def async_remove_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> None:
    """Forget the persisted state and the issues of every printer of a removed server."""
    async_delete_issues(hass, entry.entry_id, entry.subentries)
    for subentry_id in entry.subentries:
        await async_remove_printer_state(hass, subentry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> bool:
    """Bring a server entry and its printers from an older version up to date.

    1.2: printer intervals below Obico's 10 s become 10 s, and the
    last_detection sensor is last_analysis.
    """
    if entry.version > 1:
        return False  # written by a newer version, which this one cannot read
    if entry.minor_version < 2:
        for subentry in entry.subentries.values():
            if (data := migrate_printer_data(subentry.data)) is not None:
                hass.config_entries.async_update_subentry(entry, subentry, data=data)
        await er.async_migrate_entries(hass, entry.entry_id, _renamed_last_analysis)
        hass.config_entries.async_update_entry(entry, minor_version=2)
    return True


@callback
def _renamed_last_analysis(entity: er.RegistryEntry) -> dict[str, str] | None:
    if not entity.unique_id.endswith("_last_detection"):
        return None
    return {
        "new_unique_id": entity.unique_id.removesuffix("_last_detection")
        + "_last_analysis"
    }
