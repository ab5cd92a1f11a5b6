"""Buttons of the Obico integration: answer an alert, or mute this print."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alerts import Feedback
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Actions only change the coordinator's own state, in process: nothing to throttle.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ObicoButtonEntityDescription(ButtonEntityDescription):
    """A button and what pressing it does to the printer."""

    press_fn: Callable[[PrinterCoordinator], Awaitable[None]]


BUTTONS: tuple[ObicoButtonEntityDescription, ...] = (
    ObicoButtonEntityDescription(
        key="not_a_failure",
        translation_key="not_a_failure",
        press_fn=lambda printer: printer.async_acknowledge(Feedback.NOT_A_FAILURE),
    ),
    ObicoButtonEntityDescription(
        key="mute_print",
        translation_key="mute_print",
        press_fn=lambda printer: printer.async_mute(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoButton(printer, description) for description in BUTTONS],
    )


class ObicoButton(ObicoPrinterEntity, ButtonEntity):
    """A one-tap answer to the detector."""

    entity_description: ObicoButtonEntityDescription

    async def async_press(self) -> None:
        """Do what the button says."""
        await self.entity_description.press_fn(self.coordinator)
