"""Base entity of the Obico integration: one device per printer."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, unique_id
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry


def printer_device(
    hass: HomeAssistant, entry_id: str, subentry_id: str
) -> dr.DeviceEntry | None:
    """The device of a printer subentry of entry ``entry_id``, once registered."""
    # Looked up among the entry's own devices: identifiers are unique per
    # config entry only, and Home Assistant 2026.10 deprecates the
    # registry-wide async_get_device for that reason.
    identifier = (DOMAIN, subentry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    return next(
        (device for device in devices if identifier in device.identifiers), None
    )


def add_printer_entities(
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_of: Callable[[PrinterCoordinator], Iterable[Entity]],
) -> None:
    """Add a platform's entities of every printer, each under its subentry."""
    for subentry_id, printer in entry.runtime_data.printers.items():
        async_add_entities(entities_of(printer), config_subentry_id=subentry_id)


class ObicoPrinterEntity(CoordinatorEntity[PrinterCoordinator]):
    """An entity of one watched printer."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PrinterCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to its printer's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = unique_id(coordinator.subentry_id, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.subentry_id)},
            name=coordinator.settings.name,
            manufacturer="Obico",
            model="Failure detection",
            entry_type=DeviceEntryType.SERVICE,
        )
