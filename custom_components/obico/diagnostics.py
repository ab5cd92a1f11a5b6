"""Diagnostics of the Obico integration, of a server entry and of a printer device.

The token and the URL at which the ML server reaches Home Assistant never
leave. Printers are keyed by their subentry id: two may share a name.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import CONF_HA_URL, CONF_TOKEN, DOMAIN
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry

TO_REDACT = {CONF_TOKEN, CONF_HA_URL}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ObicoConfigEntry
) -> dict[str, Any]:
    """What a bug report needs to know about one ML server and its printers."""
    return {
        **_server_diagnostics(entry),
        "printers": {
            subentry_id: _printer_diagnostics(printer)
            for subentry_id, printer in entry.runtime_data.printers.items()
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: ObicoConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """What a bug report needs to know about one printer, and its server."""
    printers = entry.runtime_data.printers
    subentry_id = next(
        identifier
        for domain, identifier in device.identifiers
        if domain == DOMAIN and identifier in printers
    )
    return {
        **_server_diagnostics(entry),
        "printer_id": subentry_id,
        "printer": _printer_diagnostics(printers[subentry_id]),
    }


def _server_diagnostics(entry: ObicoConfigEntry) -> dict[str, Any]:
    runtime = entry.runtime_data
    return {
        "server": async_redact_data(dict(entry.data), TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "max_concurrent": runtime.client.max_concurrent,
        "frames_waiting": len(runtime.frames),
    }


def _printer_diagnostics(printer: PrinterCoordinator) -> dict[str, Any]:
    subentry = printer.config_entry.subentries[printer.subentry_id]
    last_ml_error = printer.loop.last_ml_error
    return {
        "name": subentry.title,
        "settings": async_redact_data(dict(subentry.data), TO_REDACT),
        "phase": printer.tracker.phase,
        "job": printer.tracker.job,
        "enabled": printer.enabled,
        "detection_state": printer.detection_state(),
        "level": printer.level(),
        "risk": printer.risk(),
        "prediction": printer.verdict.prediction.to_dict(),
        "alerts": printer.verdict.alerts.to_dict(),
        "pending": printer.actions.pending.to_dict(),
        "last_analysis": printer.last_analysis,
        "detections": [list(detection) for detection in printer.detections],
        "last_ml_error": None
        if last_ml_error is None
        else {"time": last_ml_error.time, "error": last_ml_error.error},
        "history": printer.history.to_list(),
    }
