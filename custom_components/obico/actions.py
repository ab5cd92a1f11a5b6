"""What the integration does about a failure: notify, pause and check, power off.

Everything here calls another integration's entity or service, which may fail
in any way or never answer; each call is bounded in time, and a failure is
reported to the user, never raised into detection.

Pending work, a pause waiting for the printer to confirm it and a power-off
waiting for its time, is recorded with its deadline and saved before it is
acted on, so that a restart or a reload resumes it instead of dropping it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HassJob,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .alerts import Notice, Phase, classify_phase
from .const import ACTION_TIMEOUT, DOMAIN, LOGGER, PAUSE_VERIFY_TIMEOUT
from .data import ObicoConfigEntry, PrinterSettings
from .history import EventKind, Recorder
from .issues import async_pause_issue_resolved, async_report_pause_not_confirmed
from .notifications import FollowUp, Message, async_compose, notification_id
from .parsing import finite_number

# How each kind of pause entity is triggered.
_PAUSE_SERVICES = {"button": "press", "script": "turn_on", "switch": "turn_on"}
PAUSE_ATTEMPTS = 2


@dataclass(slots=True)
class PendingPause:
    """A pause asked for and not yet confirmed by the printer."""

    entity_id: str
    attempt: int
    deadline: float
    """Epoch seconds by which the printer must have stopped printing."""
    risk: float | None
    """The failure risk that asked for it; None for a pause the user asked for."""


@dataclass(slots=True)
class PendingPowerOff:
    """A power-off waiting for its time."""

    switch: str
    due: float
    """Epoch seconds."""


@dataclass(slots=True)
class PendingWork:
    """What is still to be done for the current print; persisted."""

    pause: PendingPause | None = None
    power_off: PendingPowerOff | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable copy."""
        return {
            "pause": None
            if (pause := self.pause) is None
            else {
                "entity_id": pause.entity_id,
                "attempt": pause.attempt,
                "deadline": pause.deadline,
                "risk": pause.risk,
            },
            "power_off": None
            if (power_off := self.power_off) is None
            else {"switch": power_off.switch, "due": power_off.due},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingWork:
        """Rebuild from ``to_dict`` output; anything unreadable is dropped."""
        work = cls()
        pause, power_off = data.get("pause"), data.get("power_off")
        if (
            isinstance(pause, Mapping)
            and isinstance(entity_id := pause.get("entity_id"), str)
            and isinstance(attempt := pause.get("attempt"), int)
            and (deadline := finite_number(pause.get("deadline"))) is not None
        ):
            risk = finite_number(pause.get("risk"))
            work.pause = PendingPause(entity_id, attempt, deadline, risk)
        if (
            isinstance(power_off, Mapping)
            and isinstance(switch := power_off.get("switch"), str)
            and (due := finite_number(power_off.get("due"))) is not None
        ):
            work.power_off = PendingPowerOff(switch, due)
        return work


class PrinterActions:
    """Carries out notifications, pauses and power-offs for one printer."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ObicoConfigEntry,
        settings: PrinterSettings,
        subentry_id: str,
        *,
        save: Callable[[], Coroutine[Any, Any, None]],
        record: Recorder,
    ) -> None:
        """Bind the actions to a printer; ``save`` writes its state out now.

        ``record`` adds each press, confirmation and power-off to the history.
        """
        self.hass = hass
        self.entry = entry
        self.settings = settings
        self.subentry_id = subentry_id
        self.pending = PendingWork()
        self._save = save
        self._record = record
        self._pause_watchers: list[CALLBACK_TYPE] = []
        self._power_off_timer: CALLBACK_TYPE | None = None

    # Life cycle

    @callback
    def async_resume(self) -> None:
        """Carry on with the pending work found in storage, once Home Assistant runs.

        Waiting for the start lets the printer's own integration report its
        state first. On unload, timers stop and the work stays recorded.
        """
        self.entry.async_on_unload(async_at_started(self.hass, self._resume))
        self.entry.async_on_unload(self._stop_timers)

    async def _resume(self, _: HomeAssistant) -> None:
        if (pause := self.pending.pause) is not None:
            self._watch(pause)
        if (power_off := self.pending.power_off) is not None:
            self._schedule_power_off(power_off)

    @callback
    def cancel_pending_work(self) -> None:
        """Call off the pause being confirmed and the power-off to come."""
        self._stop_timers()
        self.pending = PendingWork()

    @callback
    def _stop_timers(self) -> None:
        self._stop_watching_pause()
        if self._power_off_timer is not None:
            self._power_off_timer()
            self._power_off_timer = None

    # Notifications

    def notify(self, message: Message, risk: float | None, **details: str) -> None:
        """Tell the user, in the background; the next notification replaces this one.

        ``risk`` is the failure risk a detection notice reports, None otherwise.
        """
        self._run(self._async_notify(message, risk, details), "notify")

    async def _async_notify(
        self, message: Message, risk: float | None, details: Mapping[str, str]
    ) -> None:
        notification = await async_compose(
            self.hass,
            printer=self.settings.name,
            subentry_id=self.subentry_id,
            message=message,
            risk=risk,
            details=details,
        )
        persistent_notification.async_create(
            self.hass,
            notification.message,
            notification.title,
            notification_id=notification_id(self.subentry_id),
        )
        if target := self.settings.notify_target:
            service = target.removeprefix("notify.")
            data = {
                "title": notification.title,
                "message": notification.notify_message,
                "data": notification.notify_data,
            }
            if (error := await self._async_call("notify", service, data)) is not None:
                LOGGER.warning(
                    "%s: notify.%s failed: %s", self.settings.name, service, error
                )

    @callback
    def withdraw_notification(self) -> None:
        """Take down the printer's notification: the user has answered it."""
        persistent_notification.async_dismiss(
            self.hass, notification_id(self.subentry_id)
        )

    # Pause

    async def async_pause_for_failure(
        self, risk: float, *, with_power_off: bool
    ) -> None:
        """Pause the printer, confirm it, and optionally cut its power later.

        The work is saved before the first press. The power-off delay runs from
        the decision, whatever the printer does.
        """
        now = dt_util.utcnow().timestamp()
        if with_power_off and (switch := self.settings.power_switch):
            self.pending.power_off = PendingPowerOff(
                switch, now + self.settings.power_off_delay
            )
        if entity_id := self.settings.pause_entity:
            self.pending.pause = PendingPause(
                entity_id, 1, now + PAUSE_VERIFY_TIMEOUT, risk
            )
        await self._save()
        if (pause := self.pending.pause) is None:
            self.notify(Notice.FAILURE_NOT_PAUSED, risk)
        else:
            # Told before the press, so that what follows it replaces it.
            self.notify(Notice.FAILURE_PAUSING, risk)
            self._run(self._async_attempt(pause), "pause")
        if (power_off := self.pending.power_off) is not None:
            self._schedule_power_off(power_off)

    async def async_pause_now(self, entity_id: str) -> None:
        """Pause now, as the user asks; raise when the press fails.

        The printer is then watched and pressed again like an automatic pause,
        without notifications.
        """
        error = await self._async_press(entity_id)
        self._record(
            EventKind.PAUSE_REQUESTED, entity_id=entity_id, attempt=1, error=error
        )
        if error is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="pause_failed",
                translation_placeholders={
                    "printer": self.settings.name,
                    "entity_id": entity_id,
                    "error": error,
                },
            )
        self._stop_watching_pause()
        pause = PendingPause(
            entity_id, 1, dt_util.utcnow().timestamp() + PAUSE_VERIFY_TIMEOUT, None
        )
        self.pending.pause = pause
        await self._save()
        self._watch(pause)

    async def _async_attempt(self, pause: PendingPause) -> None:
        """Press the pause entity, then watch for the printer to stop printing."""
        error = await self._async_press(pause.entity_id)
        self._record(
            EventKind.PAUSE_REQUESTED,
            entity_id=pause.entity_id,
            attempt=pause.attempt,
            risk=pause.risk,
            error=error,
        )
        if self.pending.pause is not pause:  # called off while pressing
            return
        if error is not None:
            await self._async_attempt_failed(pause)
            return
        # The printer has its full time to react, however long the press took.
        pause.deadline = dt_util.utcnow().timestamp() + PAUSE_VERIFY_TIMEOUT
        self._watch(pause)
        await self._save()

    async def _async_press(self, entity_id: str) -> str | None:
        """Press (or turn on) a pause entity; what went wrong, or None."""
        domain = entity_id.split(".", 1)[0]
        LOGGER.info("%s: pausing with %s", self.settings.name, entity_id)
        error = await self._async_call(
            domain, _PAUSE_SERVICES[domain], {ATTR_ENTITY_ID: entity_id}
        )
        if error is not None:
            LOGGER.warning(
                "%s: pausing with %s failed: %s", self.settings.name, entity_id, error
            )
        return error

    @callback
    def _watch(self, pause: PendingPause) -> None:
        """Confirm the pause when the printer stops printing, or fail at the deadline."""
        self._stop_watching_pause()
        if self._stopped_printing():
            self._pause_confirmed(pause)
            return

        @callback
        def state_changed(_: Event[EventStateChangedData]) -> None:
            if self._stopped_printing():
                self._pause_confirmed(pause)

        @callback
        def deadline_passed(_: object) -> None:
            self._stop_watching_pause()
            self._run(self._async_attempt_failed(pause), "pause")

        self._pause_watchers = [
            async_track_state_change_event(
                self.hass, self.settings.print_state_entity, state_changed
            ),
            async_track_point_in_utc_time(
                self.hass,
                HassJob(deadline_passed, cancel_on_shutdown=True),
                dt_util.utc_from_timestamp(pause.deadline),
            ),
        ]

    async def _async_attempt_failed(self, pause: PendingPause) -> None:
        if self.pending.pause is not pause:
            return
        if pause.attempt < PAUSE_ATTEMPTS:
            retry = PendingPause(
                pause.entity_id,
                pause.attempt + 1,
                dt_util.utcnow().timestamp() + PAUSE_VERIFY_TIMEOUT,
                pause.risk,
            )
            self.pending.pause = retry
            await self._save()
            await self._async_attempt(retry)
            return
        self.pending.pause = None
        await self._save()
        self._report_pause_failed(pause)

    @callback
    def _stop_watching_pause(self) -> None:
        while self._pause_watchers:
            self._pause_watchers.pop()()

    def _stopped_printing(self) -> bool:
        state = self.hass.states.get(self.settings.print_state_entity)
        phase = classify_phase(
            state.state if state else None,
            self.settings.printing_states,
            self.settings.paused_states,
        )
        return phase in (Phase.PAUSED, Phase.IDLE)

    @callback
    def _pause_confirmed(self, pause: PendingPause) -> None:
        self._stop_watching_pause()
        if self.pending.pause is not pause:
            return
        self.pending.pause = None
        LOGGER.info("%s: the printer paused", self.settings.name)
        self._record(
            EventKind.PAUSE_CONFIRMED, entity_id=pause.entity_id, attempt=pause.attempt
        )
        async_pause_issue_resolved(self.hass, self.subentry_id)
        if pause.risk is not None:
            self.notify(FollowUp.PAUSE_CONFIRMED, pause.risk)
        self._run(self._save(), "save")

    @callback
    def _report_pause_failed(self, pause: PendingPause) -> None:
        LOGGER.warning(
            "%s: still printing after %s pause attempts with %s",
            self.settings.name,
            PAUSE_ATTEMPTS,
            pause.entity_id,
        )
        self._record(
            EventKind.PAUSE_FAILED, entity_id=pause.entity_id, attempts=pause.attempt
        )
        async_report_pause_not_confirmed(
            self.hass, self.subentry_id, self.settings.name, pause.entity_id
        )
        self.notify(FollowUp.PAUSE_FAILED, pause.risk, entity_id=pause.entity_id)

    # Power off

    @callback
    def _schedule_power_off(self, power_off: PendingPowerOff) -> None:
        if self._power_off_timer is not None:
            self._power_off_timer()

        @callback
        def due(_: object) -> None:
            self._power_off_timer = None
            self._run(self._async_power_off(power_off), "power off")

        self._power_off_timer = async_track_point_in_utc_time(
            self.hass,
            HassJob(due, cancel_on_shutdown=True),
            dt_util.utc_from_timestamp(power_off.due),
        )

    async def _async_power_off(self, power_off: PendingPowerOff) -> None:
        if self.pending.power_off is not power_off:
            return
        LOGGER.info("%s: turning off %s", self.settings.name, power_off.switch)
        error = await self._async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: power_off.switch}
        )
        self.pending.power_off = None
        self._record(EventKind.POWER_OFF, entity_id=power_off.switch, error=error)
        await self._save()
        if error is not None:
            LOGGER.warning(
                "%s: turning off %s failed: %s",
                self.settings.name,
                power_off.switch,
                error,
            )
            self.notify(
                FollowUp.POWER_OFF_FAILED,
                None,
                entity_id=power_off.switch,
                error=error,
            )

    # Calls into other integrations

    async def _async_call(
        self, domain: str, service: str, data: Mapping[str, Any]
    ) -> str | None:
        """Call a service of another integration; what went wrong, or None."""
        try:
            async with asyncio.timeout(ACTION_TIMEOUT):
                await self.hass.services.async_call(
                    domain, service, dict(data), blocking=True
                )
        except TimeoutError:
            return f"no answer within {ACTION_TIMEOUT} s"
        except Exception as err:  # noqa: BLE001 - another integration may raise anything
            return str(err) or type(err).__name__
        return None

    def _run(self, coroutine: Coroutine[Any, Any, None], what: str) -> None:
        """Run in the background; unloading the entry cancels it."""
        self.entry.async_create_background_task(
            self.hass, coroutine, f"obico {what} {self.subentry_id}"
        )
