"""Obico's verdict on one print: its math and alert rules, frame by frame.

Pure: imports nothing from Home Assistant. The caller gives the clock as
``now`` (epoch seconds) and the printer's sensitivity, and carries out the
decisions it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .alerts import (
    Action,
    AlertState,
    Decision,
    Feedback,
    Level,
    Phase,
    acknowledge,
    evaluate,
    level_of,
    mute,
)
from .const import DetectionState
from .prediction import INIT_SAFE_FRAME_NUM, PredictionState, normalized_p, update

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(slots=True)
class Verdict:
    """What Obico's math and alert rules hold about the current print."""

    prediction: PredictionState = field(default_factory=PredictionState)
    alerts: AlertState = field(default_factory=AlertState)

    def judge(
        self,
        detections: Iterable[object],
        sensitivity: float,
        action: Action,
        now: float,
    ) -> Decision:
        """Count one frame of the detection cadence and decide what follows."""
        update(self.prediction, detections)
        return evaluate(self.alerts, self.level(sensitivity), action, now)

    def level(self, sensitivity: float) -> Level:
        """Pause level, alert level, or neither."""
        return level_of(self.prediction, sensitivity)

    def risk(self, sensitivity: float) -> float:
        """The failure risk gauge, in percent."""
        return round(normalized_p(self.prediction, sensitivity) * 100, 2)

    def start_new_print(self) -> None:
        """Forget the old print; the lifetime statistics carry on."""
        self.prediction.reset_for_new_print()
        self.alerts.reset_for_new_print()

    def acknowledge(self, feedback: Feedback, now: float) -> None:
        """Record the user's answer to the last alert."""
        acknowledge(self.alerts, feedback, now)

    def mute(self) -> None:
        """Stop alerting until the next print."""
        mute(self.alerts)

    def detection_state(
        self,
        sensitivity: float,
        *,
        enabled: bool,
        phase: Phase | None,
        fault: DetectionState | None,
    ) -> DetectionState:
        """What the detector is doing, for the detection_state sensor.

        A reason not to watch comes first, then a fault that stops watching,
        then the warm-up in which Obico never alerts, then the level.
        """
        if not enabled:
            return DetectionState.DISABLED
        if phase is Phase.PAUSED:
            return DetectionState.PAUSED
        if phase is not Phase.PRINTING:
            return DetectionState.IDLE
        if self.alerts.muted:
            return DetectionState.MUTED
        if fault is not None:
            return fault
        if self.prediction.current_frame_num < INIT_SAFE_FRAME_NUM:
            return DetectionState.WARMING_UP
        return DetectionState(self.level(sensitivity).value)
