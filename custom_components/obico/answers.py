"""The buttons of a notification, answered on a phone.

A companion app reports a tapped button as a ``mobile_app_notification_action``
event; its action id names the printer and the printer's button to press,
which does what pressing that button on the device does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from homeassistant.core import Event, HomeAssistant, callback

from .button import BUTTONS
from .const import DOMAIN, LOGGER
from .coordinator import PrinterCoordinator
from .data import ObicoConfigEntry
from .notifications import ANSWERS, action_prefix

NOTIFICATION_ACTION_EVENT: Final = "mobile_app_notification_action"

_BUTTONS: Final = {
    description.key: description
    for description in BUTTONS
    if description.key in ANSWERS
}


@callback
def async_listen_for_answers(hass: HomeAssistant) -> None:
    """Carry out the buttons of the notifications, once per Home Assistant start."""
    hass.bus.async_listen(NOTIFICATION_ACTION_EVENT, partial(_async_answered, hass))


async def _async_answered(hass: HomeAssistant, event: Event[Mapping[str, Any]]) -> None:
    """Press the printer's button that a notification button stands for.

    Other integrations' actions, and printers no longer set up, are ignored.
    """
    action = event.data.get("action")
    if not isinstance(action, str):
        return
    for key, button in _BUTTONS.items():
        prefix = action_prefix(key)
        if action.startswith(prefix) and (
            printer := _loaded_printer(hass, action.removeprefix(prefix))
        ):
            LOGGER.info("%s: %s, from a notification", printer.settings.name, key)
            await button.press_fn(printer)
            return


def _loaded_printer(hass: HomeAssistant, subentry_id: str) -> PrinterCoordinator | None:
    entries: list[ObicoConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return next(
        (
            printer
            for entry in entries
            if (printer := entry.runtime_data.printers.get(subentry_id)) is not None
        ),
        None,
    )
