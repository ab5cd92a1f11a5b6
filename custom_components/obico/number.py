"""Number of the Obico integration: how readily a printer alerts."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import MAX_SENSITIVITY, MIN_SENSITIVITY
from .data import ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Actions only change the coordinator's own state, in process: nothing to throttle.
PARALLEL_UPDATES = 0

SENSITIVITY = NumberEntityDescription(
    key="sensitivity",
    translation_key="sensitivity",
    entity_category=EntityCategory.CONFIG,
    native_min_value=MIN_SENSITIVITY,
    native_max_value=MAX_SENSITIVITY,
    # Obico's own slider moves in steps of 0.05.
    native_step=0.05,
    mode=NumberMode.SLIDER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensitivity of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoSensitivityNumber(printer, SENSITIVITY)],
    )


class ObicoSensitivityNumber(ObicoPrinterEntity, NumberEntity):
    """Obico's sensitivity: higher alerts sooner, lower later."""

    @property
    def native_value(self) -> float:
        """The sensitivity the printer's frames are judged with."""
        return self.coordinator.data.sensitivity

    async def async_set_native_value(self, value: float) -> None:
        """Judge the printer's frames with ``value`` from the next one on."""
        await self.coordinator.async_set_sensitivity(value)
