"""Switch of the Obico integration: watch this printer or not."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Actions only change the coordinator's own state, in process: nothing to throttle.
PARALLEL_UPDATES = 0

DETECTION = SwitchEntityDescription(
    key="detection",
    translation_key="detection",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the detection switch of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoDetectionSwitch(printer, DETECTION)],
    )


class ObicoDetectionSwitch(ObicoPrinterEntity, SwitchEntity):
    """Watching the printer; kept in the printer's stored state across restarts."""

    @property
    def is_on(self) -> bool:
        """Whether the printer is watched."""
        return self.coordinator.data.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Watch the printer."""
        await self.coordinator.async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop watching the printer."""
        await self.coordinator.async_set_enabled(False)
