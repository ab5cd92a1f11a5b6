"""Base entity of the Obico integration: one device per printer."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PrinterCoordinator


class ObicoPrinterEntity(CoordinatorEntity[PrinterCoordinator]):
    """An entity of one watched printer."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PrinterCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to its printer's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.subentry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.subentry_id)},
            name=coordinator.printer.name,
            manufacturer="Obico",
            model="Failure detection",
            entry_type=DeviceEntryType.SERVICE,
        )
