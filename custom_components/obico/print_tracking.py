"""Following a printer through its prints: its phase, its job, and each new print.

The printer's own integration reports a print state (and maybe a job name); this
turns them into a phase (idle, printing, paused) and says when a new print
starts. Unreadable states (unknown, unavailable) change nothing: a printer that
drops off the network mid-print is still in that print when it returns.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event

from .alerts import TRANSIENT_STATES, Phase, classify_phase, starts_new_print
from .const import LOGGER
from .data import PrinterSettings


class PrintTracker:
    """The phase and job of one printer, kept in step with its entities."""

    def __init__(
        self,
        hass: HomeAssistant,
        settings: PrinterSettings,
        *,
        on_new_print: Callable[[], None],
        on_change: Callable[[], None],
    ) -> None:
        """Report each new print, then every change, to the given callbacks."""
        self._hass = hass
        self._settings = settings
        self._on_new_print = on_new_print
        self._on_change = on_change
        self.phase: Phase | None = None
        self.job: str | None = None

    def restore(self, phase: Phase | None, job: str | None) -> None:
        """Take up where the last run left off."""
        self.phase, self.job = phase, job

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the entities, from their states now; returns how to stop."""
        unsubscribers = [
            async_track_state_change_event(
                self._hass, self._settings.print_state_entity, self._print_state_changed
            )
        ]
        if job_entity := self._settings.job_entity:
            unsubscribers.append(
                async_track_state_change_event(
                    self._hass, job_entity, self._job_changed
                )
            )
        self._follow_print_state(self._state_of(self._settings.print_state_entity))
        self._follow_job(self._state_of(job_entity))

        @callback
        def stop() -> None:
            for unsubscribe in unsubscribers:
                unsubscribe()

        return stop

    def phase_of(self, value: str | None) -> Phase | None:
        """The phase a print-state value means; None while it says nothing."""
        return classify_phase(
            value, self._settings.printing_states, self._settings.paused_states
        )

    @callback
    def _print_state_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if self._follow_print_state(new_state.state if new_state else None):
            self._on_change()

    @callback
    def _job_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if self._follow_job(new_state.state if new_state else None):
            self._on_change()

    def _follow_print_state(self, value: str | None) -> bool:
        """Move to the phase ``value`` means; True when the phase changed."""
        phase = self.phase_of(value)
        if phase is None or phase is self.phase:
            return False
        previous, self.phase = self.phase, phase
        if starts_new_print(previous, phase):
            self._new_print()
        return True

    def _follow_job(self, value: str | None) -> bool:
        """Note the job; a different job mid-print is a new print. True if changed."""
        if not value or value in TRANSIENT_STATES or value == self.job:
            return False
        previous, self.job = self.job, value
        if previous is not None and self.phase in (Phase.PRINTING, Phase.PAUSED):
            self._new_print()
        return True

    def _new_print(self) -> None:
        LOGGER.debug("%s: a new print started", self._settings.name)
        self._on_new_print()

    def _state_of(self, entity_id: str | None) -> str | None:
        if entity_id is None or (state := self._hass.states.get(entity_id)) is None:
            return None
        return state.state
