"""Sensors of the Obico integration: risk, state and raw figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import DetectionState
from .data import ObicoConfigEntry, PrinterSnapshot
from .entity import ObicoPrinterEntity, add_printer_entities

# Read-only: the coordinator pushes each state; nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ObicoSensorEntityDescription(SensorEntityDescription):
    """A sensor and how it reads the printer's snapshot."""

    value_fn: Callable[[PrinterSnapshot], StateType | datetime]


SENSORS: tuple[ObicoSensorEntityDescription, ...] = (
    ObicoSensorEntityDescription(
        key="failure_risk",
        translation_key="failure_risk",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda snapshot: snapshot.risk,
    ),
    ObicoSensorEntityDescription(
        key="detection_state",
        translation_key="detection_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in DetectionState],
        value_fn=lambda snapshot: snapshot.detection_state.value,
    ),
    ObicoSensorEntityDescription(
        key="current_p",
        translation_key="current_p",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=3,
        value_fn=lambda snapshot: snapshot.current_p,
    ),
    ObicoSensorEntityDescription(
        key="ewm_mean",
        translation_key="ewm_mean",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=3,
        value_fn=lambda snapshot: snapshot.ewm_mean,
    ),
    ObicoSensorEntityDescription(
        key="frames_analyzed",
        translation_key="frames_analyzed",
        # Counts up through a print and starts again with the next: statistics
        # take that as a new cycle, and the logbook leaves it out.
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.frames_analyzed,
    ),
    ObicoSensorEntityDescription(
        key="last_analysis",
        translation_key="last_analysis",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # A new time every frame: in the logbook, 360 lines an hour.
        entity_registry_enabled_default=False,
        value_fn=lambda snapshot: snapshot.last_analysis,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoSensor(printer, description) for description in SENSORS],
    )


class ObicoSensor(ObicoPrinterEntity, SensorEntity):
    """A figure of the printer's detector."""

    entity_description: ObicoSensorEntityDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The sensor's value from the latest snapshot."""
        return self.entity_description.value_fn(self.coordinator.data)
