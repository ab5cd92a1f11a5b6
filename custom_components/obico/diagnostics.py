"""Diagnostics of the Obico integration; the token never leaves."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_TOKEN
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry

TO_REDACT = {CONF_TOKEN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ObicoConfigEntry
) -> dict[str, Any]:
    """What a bug report needs to know about one ML server and its printers."""
    runtime = entry.runtime_data
    return {
        "server": async_redact_data(dict(entry.data), TO_REDACT),
        "max_concurrent": runtime.client.max_concurrent,
        "frames_waiting": len(runtime.frames),
        "printers": {
            printer.settings.name: _printer_diagnostics(printer)
            for printer in runtime.printers.values()
        },
    }


def _printer_diagnostics(printer: PrinterCoordinator) -> dict[str, Any]:
    return {
        "settings": dict(printer.config_entry.subentries[printer.subentry_id].data),
        "phase": printer.tracker.phase,
        "job": printer.tracker.job,
        "enabled": printer.enabled,
        "detection_state": printer.detection_state(),
        "level": printer.level(),
        "risk": printer.risk(),
        "prediction": printer.prediction.to_dict(),
        "alerts": printer.alerts.to_dict(),
        "pending": printer.actions.pending.to_dict(),
        "last_analysis": printer.last_analysis,
        "detections": [list(detection) for detection in printer.detections],
    }
