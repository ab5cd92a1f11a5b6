"""Services of the Obico integration, aimed at printer devices or their entities."""

from __future__ import annotations

from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.target import (
    TargetSelection,
    async_extract_referenced_entity_ids,
)

from .alerts import Feedback
from .api import Detection, ObicoError
from .const import DOMAIN
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry
from .entity import printer_device
from .frames import redact_frame_urls
from .prediction import sum_p
from .round_trip import CaptureError
from .validation import vol

SERVICE_PAUSE_PRINT = "pause_print"
SERVICE_ACKNOWLEDGE = "acknowledge"
SERVICE_MUTE_PRINT = "mute_print"
SERVICE_ANALYZE_NOW = "analyze_now"
ATTR_FEEDBACK = "feedback"

_TARGET_SCHEMA = cv.make_entity_service_schema({})
_ACKNOWLEDGE_SCHEMA = cv.make_entity_service_schema(
    {vol.Required(ATTR_FEEDBACK): vol.Coerce(Feedback)}
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services of the integration."""
    hass.services.async_register(
        DOMAIN, SERVICE_PAUSE_PRINT, _async_pause_print, schema=_TARGET_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ACKNOWLEDGE, _async_acknowledge, schema=_ACKNOWLEDGE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_MUTE_PRINT, _async_mute_print, schema=_TARGET_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ANALYZE_NOW,
        _async_analyze_now,
        schema=_TARGET_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _targeted_printers(call: ServiceCall) -> list[PrinterCoordinator]:
    """The printers whose devices or entities the call aims at."""
    hass = call.hass
    selected = async_extract_referenced_entity_ids(hass, TargetSelection(call.data))
    device_ids = set(selected.referenced_devices)
    registry = er.async_get(hass)
    for entity_id in selected.referenced | selected.indirectly_referenced:
        if (entity := registry.async_get(entity_id)) and entity.device_id:
            device_ids.add(entity.device_id)
    entries: list[ObicoConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    printers = [
        printer
        for entry in entries
        for printer in entry.runtime_data.printers.values()
        if _device_id(printer) in device_ids
    ]
    if not printers:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_printer_targeted"
        )
    return printers


def _device_id(printer: PrinterCoordinator) -> str | None:
    device = printer_device(
        printer.hass, printer.config_entry.entry_id, printer.subentry_id
    )
    return None if device is None else device.id


async def _async_pause_print(call: ServiceCall) -> None:
    # Every printer is checked before any is paused.
    pauses = [(printer, _pause_entity(printer)) for printer in _targeted_printers(call)]
    for printer, pause_entity in pauses:
        await printer.actions.async_pause_now(pause_entity)


def _pause_entity(printer: PrinterCoordinator) -> str:
    if (pause_entity := printer.settings.pause_entity) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_pause_entity",
            translation_placeholders={"printer": printer.settings.name},
        )
    return pause_entity


async def _async_acknowledge(call: ServiceCall) -> None:
    for printer in _targeted_printers(call):
        await printer.async_acknowledge(call.data[ATTR_FEEDBACK])


async def _async_mute_print(call: ServiceCall) -> None:
    for printer in _targeted_printers(call):
        await printer.async_mute()


async def _async_analyze_now(call: ServiceCall) -> ServiceResponse:
    results: dict[str, Any] = {}
    for printer in _targeted_printers(call):
        detections = await _async_analyze(printer)
        results[_device_id(printer) or printer.subentry_id] = {
            "printer": printer.settings.name,
            "p": round(sum_p(detections), 4),
            "detections": [_detection_dict(detection) for detection in detections],
        }
    return {"printers": results}


async def _async_analyze(printer: PrinterCoordinator) -> list[Detection]:
    try:
        return await printer.async_analyze_now()
    except ObicoError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="ml_failed",
            translation_placeholders={
                "printer": printer.settings.name,
                "error": redact_frame_urls(str(err)),
            },
        ) from err
    except CaptureError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="camera_failed",
            translation_placeholders={
                "printer": printer.settings.name,
                "entity_id": printer.settings.frame_entity,
                "error": str(err),
            },
        ) from err


def _detection_dict(detection: Detection) -> dict[str, Any]:
    return {
        "label": detection.label,
        "confidence": detection.confidence,
        "box": list(detection.box),
    }
