"""Binary sensor of the Obico integration: whether the print is failing."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Read-only: the coordinator pushes each state; nothing is polled.
PARALLEL_UPDATES = 0

FAILURE = BinarySensorEntityDescription(
    key="failure",
    translation_key="failure",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the failure binary sensor of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoFailureBinarySensor(printer, FAILURE)],
    )


class ObicoFailureBinarySensor(ObicoPrinterEntity, BinarySensorEntity):
    """On once the current print reached Obico's pause level."""

    @property
    def is_on(self) -> bool:
        """Whether this print is failing."""
        return self.coordinator.data.failure
