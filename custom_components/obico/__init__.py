"""Obico Failure Detection: catch failing 3D prints with the Obico ML API."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .api import ObicoMlClient
from .const import (
    CONF_HA_URL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_TOKEN,
    DEFAULT_MAX_CONCURRENT,
    DOMAIN,
    STORAGE_VERSION,
    SUBENTRY_PRINTER,
)
from .coordinator import (
    ObicoConfigEntry,
    ObicoRuntimeData,
    PrinterCoordinator,
    storage_key,
)
from .frames import async_get_frame_store
from .services import async_setup_services

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the frame view and the services, once per start."""
    async_get_frame_store(hass)
    async_setup_services(hass)
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
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> bool:
    """Stop watching the printers of one ML server."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_entry_updated(hass: HomeAssistant, entry: ObicoConfigEntry) -> None:
    """Apply new settings or printers; forget printers that were removed."""
    removed = [
        printer
        for subentry_id, printer in entry.runtime_data.printers.items()
        if subentry_id not in entry.subentries
    ]
    await hass.config_entries.async_reload(entry.entry_id)
    for printer in removed:
        await printer.async_remove_store()


async def async_remove_entry(hass: HomeAssistant, entry: ObicoConfigEntry) -> None:
    """Forget the persisted state of every printer of a removed server."""
    for subentry_id in entry.subentries:
        await Store[dict[str, object]](
            hass, STORAGE_VERSION, storage_key(subentry_id)
        ).async_remove()
