"""What the integration does about a failure: notify, pause, power off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import persistent_notification
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_state_change_event

from .alerts import Notice, Phase
from .const import DOMAIN, LOGGER, PAUSE_VERIFY_TIMEOUT

if TYPE_CHECKING:
    from .coordinator import ObicoConfigEntry, PrinterConfig

# How each kind of pause entity is triggered.
_PAUSE_SERVICES = {"button": "press", "script": "turn_on", "switch": "turn_on"}
_PAUSE_ATTEMPTS = 2

_NOTICE_TEXT = {
    Notice.WARNING: (
        "Possible failure on {printer}",
        (
            "Obico sees signs of a failing print on {printer} (failure risk "
            "{risk:.0f} %). The print goes on; have a look at the camera."
        ),
    ),
    Notice.FAILURE_PAUSED: (
        "Print paused on {printer}",
        (
            "Obico detected a failing print on {printer} (failure risk "
            "{risk:.0f} %) and paused it."
        ),
    ),
    Notice.FAILURE_NOT_PAUSED: (
        "Failure detected on {printer}",
        (
            "Obico detected a failing print on {printer} (failure risk "
            "{risk:.0f} %). The print was not paused."
        ),
    ),
}


class PrinterActions:
    """Carries out notifications and pauses for one printer."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ObicoConfigEntry,
        printer: PrinterConfig,
        subentry_id: str,
    ) -> None:
        """Bind the actions to a printer."""
        self.hass = hass
        self.entry = entry
        self.printer = printer
        self.subentry_id = subentry_id
        self._cancel_power_off: CALLBACK_TYPE | None = None
        self._pause_watchers: list[CALLBACK_TYPE] = []
        entry.async_on_unload(self.cancel_pending)
        entry.async_on_unload(self._stop_watching_pause)

    # Notifications

    def start_notify(self, notice: Notice, risk: float) -> None:
        """Send a notification in the background."""
        self.entry.async_create_background_task(
            self.hass,
            self.async_notify(notice, risk),
            f"obico notify {self.subentry_id}",
        )

    async def async_notify(self, notice: Notice, risk: float) -> None:
        """Tell the user what was seen and what was done."""
        title, message = _NOTICE_TEXT[notice]
        await self._async_send(
            title.format(printer=self.printer.name),
            message.format(printer=self.printer.name, risk=risk),
        )

    async def _async_send(self, title: str, message: str) -> None:
        persistent_notification.async_create(
            self.hass, message, title, notification_id=f"{DOMAIN}_{self.subentry_id}"
        )
        if not (target := self.printer.notify_target):
            return
        service = target.removeprefix("notify.")
        try:
            await self.hass.services.async_call(
                "notify", service, {"title": title, "message": message}, blocking=True
            )
        except HomeAssistantError as err:
            LOGGER.warning("%s: notify.%s failed: %s", self.printer.name, service, err)

    # Pause

    def start_pause(self, *, with_power_off: bool) -> None:
        """Pause the printer, confirm it, and optionally cut its power later.

        The power-off delay runs from the decision, whatever the printer does.
        The config flow makes sure both entities exist for the actions that
        need them; a printer without them is only notified.
        """
        if with_power_off and (switch := self.printer.power_switch):
            self._schedule_power_off(switch)
        if pause_entity := self.printer.pause_entity:
            self._press_pause(pause_entity, attempt=1)

    def _press_pause(self, pause_entity: str, attempt: int) -> None:
        self.entry.async_create_background_task(
            self.hass,
            self._async_press_pause(pause_entity, attempt),
            f"obico pause {self.subentry_id}",
        )

    async def _async_press_pause(self, pause_entity: str, attempt: int) -> None:
        domain = pause_entity.split(".", 1)[0]
        LOGGER.info(
            "%s: pausing with %s (attempt %s)", self.printer.name, pause_entity, attempt
        )
        try:
            await self.hass.services.async_call(
                domain,
                _PAUSE_SERVICES[domain],
                {ATTR_ENTITY_ID: pause_entity},
                blocking=True,
            )
        except HomeAssistantError as err:
            LOGGER.warning("%s: %s failed: %s", self.printer.name, pause_entity, err)
        self._confirm_pause(pause_entity, attempt)

    @callback
    def _confirm_pause(self, pause_entity: str, attempt: int) -> None:
        """Watch the print state until it leaves printing, or time runs out."""
        self._stop_watching_pause()
        if self._stopped_printing():
            self._pause_confirmed()
            return

        @callback
        def _state_changed(_: Event[EventStateChangedData]) -> None:
            if self._stopped_printing():
                self._stop_watching_pause()
                self._pause_confirmed()

        @callback
        def _timed_out(_: object) -> None:
            self._stop_watching_pause()
            if attempt < _PAUSE_ATTEMPTS:
                self._press_pause(pause_entity, attempt + 1)
            else:
                self._pause_failed(pause_entity)

        self._pause_watchers = [
            async_track_state_change_event(
                self.hass, self.printer.print_state_entity, _state_changed
            ),
            async_call_later(self.hass, PAUSE_VERIFY_TIMEOUT, _timed_out),
        ]

    @callback
    def _stop_watching_pause(self) -> None:
        while self._pause_watchers:
            self._pause_watchers.pop()()

    def _stopped_printing(self) -> bool:
        state = self.hass.states.get(self.printer.print_state_entity)
        phase = self.printer.phase_of(state.state if state else None)
        return phase in (Phase.PAUSED, Phase.IDLE)

    @callback
    def _pause_confirmed(self) -> None:
        LOGGER.info("%s: the printer paused", self.printer.name)
        ir.async_delete_issue(self.hass, DOMAIN, self._pause_issue_id)

    @callback
    def _pause_failed(self, pause_entity: str) -> None:
        LOGGER.error(
            "%s: still printing %s s after each of %s pause attempts",
            self.printer.name,
            PAUSE_VERIFY_TIMEOUT,
            _PAUSE_ATTEMPTS,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._pause_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="pause_not_confirmed",
            translation_placeholders={
                "printer": self.printer.name,
                "pause_entity": pause_entity,
                "seconds": str(PAUSE_VERIFY_TIMEOUT),
            },
        )
        self.entry.async_create_background_task(
            self.hass,
            self._async_send(
                f"Could not pause {self.printer.name}",
                f"Obico pressed {pause_entity} twice, but "
                f"{self.printer.name} was still printing {PAUSE_VERIFY_TIMEOUT} s "
                "after each attempt. Check the printer now.",
            ),
            f"obico pause failed {self.subentry_id}",
        )

    @property
    def _pause_issue_id(self) -> str:
        return f"pause_not_confirmed_{self.subentry_id}"

    # Power off

    def _schedule_power_off(self, switch: str) -> None:
        self.cancel_pending()

        async def _async_power_off(_: object) -> None:
            self._cancel_power_off = None
            await self._async_power_off(switch)

        self._cancel_power_off = async_call_later(
            self.hass, self.printer.power_off_delay, _async_power_off
        )

    async def _async_power_off(self, switch: str) -> None:
        LOGGER.info("%s: turning off %s", self.printer.name, switch)
        try:
            await self.hass.services.async_call(
                "switch", "turn_off", {ATTR_ENTITY_ID: switch}, blocking=True
            )
        except HomeAssistantError as err:
            await self._async_send(
                f"Could not turn off {self.printer.name}",
                f"Obico could not turn off {switch}: {err}",
            )

    @callback
    def cancel_pending(self) -> None:
        """Call off a power-off that has not happened yet."""
        if self._cancel_power_off is not None:
            self._cancel_power_off()
            self._cancel_power_off = None
