"""A printer subentry's stored data, read as typed settings, and brought up to date.

The config flow writes the data; this reads it back, and moves data written by
older versions to what this version expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback

from .alerts import Action
from .const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_INTERVAL,
    CONF_JOB_ENTITY,
    CONF_NOTIFY_TARGET,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_POWER_OFF_DELAY,
    CONF_POWER_SWITCH,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    DEFAULT_INTERVAL,
    DEFAULT_POWER_OFF_DELAY,
    DEFAULT_SENSITIVITY,
    MIN_INTERVAL,
)
from .data import PrinterSettings


def printer_settings(subentry: ConfigSubentry) -> PrinterSettings:
    """Read a printer subentry's data."""
    data: Mapping[str, Any] = subentry.data
    return PrinterSettings(
        name=subentry.title,
        frame_entity=data[CONF_FRAME_ENTITY],
        print_state_entity=data[CONF_PRINT_STATE_ENTITY],
        printing_states=tuple(data[CONF_PRINTING_STATES]),
        paused_states=tuple(data.get(CONF_PAUSED_STATES, ())),
        pause_entity=data.get(CONF_PAUSE_ENTITY),
        power_switch=data.get(CONF_POWER_SWITCH),
        power_off_delay=int(data.get(CONF_POWER_OFF_DELAY, DEFAULT_POWER_OFF_DELAY)),
        job_entity=data.get(CONF_JOB_ENTITY),
        action=Action(data[CONF_ACTION]),
        sensitivity=float(data.get(CONF_SENSITIVITY, DEFAULT_SENSITIVITY)),
        interval=int(data.get(CONF_INTERVAL, DEFAULT_INTERVAL)),
        notify_target=data.get(CONF_NOTIFY_TARGET),
    )


def migrate_printer_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Printer data of an older version as this version stores it; None if current.

    Before 0.2 the interval could be 5 s; Obico's math is tuned for no less
    than 10 s, so shorter intervals become 10 s.
    """
    if int(data.get(CONF_INTERVAL, DEFAULT_INTERVAL)) >= MIN_INTERVAL:
        return None
    return {**data, CONF_INTERVAL: MIN_INTERVAL}


@callback
def async_keep_sensitivity(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, sensitivity: float
) -> None:
    """Write a printer's new sensitivity into its subentry.

    The subentry is the one place it is kept, so that it outlives a restart
    and the reconfigure form shows it.
    """
    subentry = entry.subentries[subentry_id]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_SENSITIVITY: sensitivity}
    )
