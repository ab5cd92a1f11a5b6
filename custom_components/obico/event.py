"""Event of the Obico integration: warnings and failures, for automations.

One event per notice, as Obico decides it (alerts.alert_event): ``warning``
when a warning goes out, ``failure`` when a print first reaches the pause
level. Each carries the failure risk and the action taken.
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alerts import AlertEvent, Level
from .data import ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Read-only: the coordinator pushes each state; nothing is polled.
PARALLEL_UPDATES = 0

ATTR_RISK = "risk"
ATTR_ACTION = "action"
ATTR_PRINTER = "printer"

ALERT = EventEntityDescription(
    key="alert",
    translation_key="alert",
    event_types=[Level.WARNING.value, Level.FAILURE.value],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the alert event of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoAlertEvent(printer, ALERT)],
    )


class ObicoAlertEvent(ObicoPrinterEntity, EventEntity):
    """Fires when the detector warns or sees a failure."""

    async def async_added_to_hass(self) -> None:
        """Hear the printer's alerts while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_alert_listener(self._handle_alert)
        )

    @callback
    def _handle_alert(self, event: AlertEvent, risk: float) -> None:
        self._trigger_event(
            event.level.value,
            {
                ATTR_RISK: risk,
                ATTR_ACTION: event.action.value,
                ATTR_PRINTER: self.coordinator.settings.name,
            },
        )
        self.async_write_ha_state()
