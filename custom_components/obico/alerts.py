"""Obico's per-print alert state machine (DESIGN §5).

Pure: imports nothing from Home Assistant. The caller injects the clock as
``now`` (epoch seconds) and carries out the returned decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from .parsing import finite_number
from .prediction import PredictionState, should_alert, should_pause

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

ALERT_COOLDOWN: Final = 90.0
"""Seconds: no new alert within this of the last one."""

ACK_GRACE: Final = 90.0
"""Seconds: a pause-level frame does nothing within this of an acknowledgement."""

TRANSIENT_STATES: Final = frozenset({"unknown", "unavailable"})
"""Entity states that say nothing: the entity is momentarily unreadable."""


class Action(StrEnum):
    """What to do when a print reaches pause level."""

    NOTIFY = "notify"
    PAUSE = "pause"
    PAUSE_AND_OFF = "pause_and_off"


_PAUSING_ACTIONS: Final = frozenset({Action.PAUSE, Action.PAUSE_AND_OFF})


class Level(StrEnum):
    """How bad the current frame looks, by Obico's math."""

    SAFE = "safe"
    WARNING = "warning"
    FAILURE = "failure"


def level_of(prediction: PredictionState, sensitivity: float) -> Level:
    """Obico's verdict on a print: pause level, alert level, or neither."""
    if should_pause(prediction, sensitivity):
        return Level.FAILURE
    if should_alert(prediction, sensitivity):
        return Level.WARNING
    return Level.SAFE


class Feedback(StrEnum):
    """The user's verdict when acknowledging an alert."""

    NOT_A_FAILURE = "not_a_failure"
    FAILED = "failed"


class Notice(StrEnum):
    """Which notification to send."""

    WARNING = "warning"
    FAILURE_PAUSING = "failure_pausing"
    """Pause level; the printer was asked to pause, which is not yet confirmed."""
    FAILURE_NOT_PAUSED = "failure_not_paused"


class Phase(StrEnum):
    """Where the printer is in a print, as far as watching is concerned."""

    IDLE = "idle"
    PRINTING = "printing"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the caller must do after one analyzed frame."""

    notice: Notice | None = None
    """Which notification to send, if any."""
    pause: bool = False
    """Carry out the automatic pause now."""
    failure_started: bool = False
    """The failure flag went from off to on at this frame."""


@dataclass(slots=True)
class AlertState:
    """Alert bookkeeping for the current print; persisted across restarts."""

    alerted_at: float | None = None
    alert_acknowledged_at: float | None = None
    feedback: Feedback | None = None
    paused_at: float | None = None
    """Set by the automatic pause only, so that it happens once per print."""
    muted: bool = False
    failure: bool = False
    """Drives the ``failure`` binary sensor."""

    def reset_for_new_print(self) -> None:
        """Return every field to its default."""
        fresh = AlertState()
        for field in fields(self):
            setattr(self, field.name, getattr(fresh, field.name))

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable copy of the state."""
        return {
            "alerted_at": self.alerted_at,
            "alert_acknowledged_at": self.alert_acknowledged_at,
            "feedback": None if self.feedback is None else self.feedback.value,
            "paused_at": self.paused_at,
            "muted": self.muted,
            "failure": self.failure,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AlertState:
        """Rebuild a state from ``to_dict`` output, tolerating damaged data.

        Stored data may come from an older version or a hand-edited file, so
        anything unreadable falls back to "unset" instead of raising.
        """
        return cls(
            alerted_at=finite_number(data.get("alerted_at")),
            alert_acknowledged_at=finite_number(data.get("alert_acknowledged_at")),
            feedback=_read_feedback(data.get("feedback")),
            paused_at=finite_number(data.get("paused_at")),
            muted=_read_flag(data.get("muted")),
            failure=_read_flag(data.get("failure")),
        )


def _read_feedback(value: object) -> Feedback | None:
    """Return the feedback named by value, or None if it names none."""
    if not isinstance(value, str):
        return None
    try:
        return Feedback(value)
    except ValueError:
        return None


def _read_flag(value: object) -> bool:
    """Return value if it is a bool; anything else means unset (False)."""
    return value if isinstance(value, bool) else False


def _in_cooldown(state: AlertState, now: float) -> bool:
    """Return whether an alert went out less than ALERT_COOLDOWN ago."""
    return state.alerted_at is not None and now - state.alerted_at < ALERT_COOLDOWN


def _awaiting_acknowledgement(state: AlertState) -> bool:
    """Return whether the last alert has not been acknowledged since it was sent."""
    if state.alerted_at is None:
        return False
    acknowledged_at = state.alert_acknowledged_at
    return acknowledged_at is None or acknowledged_at < state.alerted_at


def _recently_acknowledged(state: AlertState, now: float) -> bool:
    """Return whether an acknowledgement came less than ACK_GRACE ago."""
    acknowledged_at = state.alert_acknowledged_at
    return acknowledged_at is not None and now - acknowledged_at < ACK_GRACE


def is_suppressed(state: AlertState, now: float) -> bool:
    """Return whether a new notification must be held back."""
    return _in_cooldown(state, now) or _awaiting_acknowledgement(state)


def evaluate(state: AlertState, level: Level, action: Action, now: float) -> Decision:
    """Advance the state for one analyzed frame and say what to do.

    Call once per frame while the printer is printing.
    """
    if state.muted:
        return Decision()
    if level is Level.FAILURE:
        return _evaluate_failure(state, action, now)
    if level is Level.WARNING:
        return _evaluate_warning(state, now)
    # SAFE leaves the failure flag on: only an acknowledgement or a new
    # print clears it.
    return Decision()


def _evaluate_failure(state: AlertState, action: Action, now: float) -> Decision:
    """Handle a frame at pause level, as Obico's ``pause_if_needed`` does."""
    recent_ack = _recently_acknowledged(state, now)
    if action in _PAUSING_ACTIONS and state.paused_at is None:
        if recent_ack:
            # The user has just said the print looks fine: for ACK_GRACE a
            # pause-level frame does nothing at all, not even notify.
            return Decision()
        # Pausing ignores suppression: an unacknowledged warning must not
        # stop the print from being saved.
        failure_started = _mark_failure(state)
        state.paused_at = state.alerted_at = now
        return Decision(
            notice=Notice.FAILURE_PAUSING, pause=True, failure_started=failure_started
        )
    failure_started = not recent_ack and _mark_failure(state)
    if is_suppressed(state, now):
        return Decision(failure_started=failure_started)
    state.alerted_at = now
    return Decision(notice=Notice.FAILURE_NOT_PAUSED, failure_started=failure_started)


def _mark_failure(state: AlertState) -> bool:
    """Raise the failure flag; True when it was down."""
    started, state.failure = not state.failure, True
    return started


def _evaluate_warning(state: AlertState, now: float) -> Decision:
    """Handle a frame at alert (warning) level."""
    if is_suppressed(state, now):
        return Decision()
    state.alerted_at = now
    return Decision(notice=Notice.WARNING)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """What automations hear of a decision, as the ``alert`` event entity fires it."""

    level: Level
    """The event type: WARNING when a warning went out, FAILURE when the print
    first reached the pause level."""
    action: Action
    """What was done about it: NOTIFY, unless the print was paused."""


def alert_event(decision: Decision, action: Action) -> AlertEvent | None:
    """The event a decision fires, if any; ``action`` is the printer's setting."""
    if decision.failure_started:
        return AlertEvent(Level.FAILURE, action if decision.pause else Action.NOTIFY)
    if decision.notice is Notice.WARNING:
        return AlertEvent(Level.WARNING, Action.NOTIFY)
    return None


def acknowledge(state: AlertState, feedback: Feedback, now: float) -> None:
    """Record the user's verdict; either verdict re-arms alerts."""
    state.alert_acknowledged_at = now
    state.feedback = feedback
    state.failure = False


def mute(state: AlertState) -> None:
    """Stop alerting until the next print."""
    state.muted = True


def classify_phase(
    value: str | None, printing: Collection[str], paused: Collection[str]
) -> Phase | None:
    """Map a print-state entity's state to a phase.

    None means the state is transient (unknown, unavailable or absent) and the
    caller should keep the previous phase. Matching is exact, since these are
    the values the printer integration sets.
    """
    if value is None or value in TRANSIENT_STATES:
        return None
    if value in printing:
        return Phase.PRINTING
    if value in paused:
        return Phase.PAUSED
    return Phase.IDLE


def starts_new_print(previous: Phase | None, current: Phase) -> bool:
    """Return whether moving from previous to current begins a new print.

    previous is None when this printer has never been seen in any phase.
    PAUSED to PRINTING is a resume, not a new print.
    """
    return current is Phase.PRINTING and previous in (Phase.IDLE, None)
