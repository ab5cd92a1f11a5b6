"""The bus events automations hear about warnings and failures from.

obico_warning when a warning is sent, obico_failure_detected when a print first
reaches the pause level; each names the printer's device and entities, the
failure risk and the action taken.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .alerts import Action, Decision, Notice
from .const import DOMAIN, EVENT_FAILURE_DETECTED, EVENT_WARNING, unique_id
from .data import ObicoConfigEntry, PrinterSettings


@callback
def async_fire_alert_events(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    subentry_id: str,
    settings: PrinterSettings,
    *,
    decision: Decision,
    risk: float,
) -> None:
    """Fire the events that a decision calls for."""
    event_types = []
    if decision.failure_started:
        event_types.append(EVENT_FAILURE_DETECTED)
    if decision.notice is Notice.WARNING:
        event_types.append(EVENT_WARNING)
    action = settings.action if decision.pause else Action.NOTIFY
    for event_type in event_types:
        hass.bus.async_fire(
            event_type,
            {
                "device_id": printer_device_id(hass, entry, subentry_id),
                "printer": settings.name,
                "camera_entity_id": settings.frame_entity,
                "print_state_entity_id": settings.print_state_entity,
                "failure_entity_id": er.async_get(hass).async_get_entity_id(
                    "binary_sensor", DOMAIN, unique_id(subentry_id, "failure")
                ),
                "risk": risk,
                "action": action.value,
            },
        )


@callback
def printer_device_id(
    hass: HomeAssistant, entry: ObicoConfigEntry, subentry_id: str
) -> str | None:
    """The device registry id of a printer."""
    # Looked up among the entry's own devices: identifiers are unique per
    # config entry only, and Home Assistant 2026.10 deprecates the global
    # async_get_device for that reason.
    identifier = (DOMAIN, subentry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return next(
        (device.id for device in devices if identifier in device.identifiers), None
    )
