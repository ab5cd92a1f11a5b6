"""Obico's failure-decision math, reproduced exactly.

Each analyzed frame's detections are reduced to one score ``p`` (the sum of the
confidences). Three means smooth it: an exponentially weighted mean and a short
rolling mean that restart with every print, and a long rolling mean that is the
printer's lifetime baseline. A print is failing when the smoothed score rises
far enough above that baseline.

This module is pure: it imports nothing from Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .parsing import finite_number

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

EWM_ALPHA = 2 / (12 + 1)
ROLLING_WIN_SHORT = 310
ROLLING_WIN_LONG = 7200
THRESHOLD_LOW = 0.38
THRESHOLD_HIGH = 0.78
INIT_SAFE_FRAME_NUM = 30
ROLLING_MEAN_SHORT_MULTIPLE = 3.8
ESCALATING_FACTOR = 1.75
WARNING_RISK = 1 / 3
"""The failure risk at the warning threshold: where Obico's gauge turns amber."""
FAILURE_RISK = 2 / 3
"""The failure risk at the pause threshold: where Obico's gauge turns red."""

_COUNTER_KEYS = ("current_frame_num", "lifetime_frame_num")
_MEAN_KEYS = ("current_p", "ewm_mean", "rolling_mean_short", "rolling_mean_long")


@dataclass(slots=True)
class PredictionState:
    """The smoothing state of one printer.

    The per-print fields restart with every print; ``lifetime_frame_num`` and
    ``rolling_mean_long`` are the printer's baseline and are never reset.
    """

    current_frame_num: int = 0
    lifetime_frame_num: int = 0
    current_p: float = 0.0
    ewm_mean: float = 0.0
    rolling_mean_short: float = 0.0
    rolling_mean_long: float = 0.0

    def reset_for_new_print(self) -> None:
        """Zero the per-print fields and keep the lifetime baseline."""
        self.current_frame_num = 0
        self.current_p = 0.0
        self.ewm_mean = 0.0
        self.rolling_mean_short = 0.0

    def to_dict(self) -> dict[str, int | float]:
        """Return the state as a JSON-serialisable dict."""
        return {
            "current_frame_num": self.current_frame_num,
            "lifetime_frame_num": self.lifetime_frame_num,
            "current_p": self.current_p,
            "ewm_mean": self.ewm_mean,
            "rolling_mean_short": self.rolling_mean_short,
            "rolling_mean_long": self.rolling_mean_long,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PredictionState:
        """Rebuild a state from ``to_dict`` output, tolerating old or edited data.

        Missing keys, values of the wrong type and non-finite numbers fall back
        to the defaults; negative counters become 0; unknown keys are ignored.
        """
        state = cls()
        for key in _COUNTER_KEYS:
            count = _read_counter(data.get(key))
            if count is not None:
                setattr(state, key, count)
        for key in _MEAN_KEYS:
            mean = finite_number(data.get(key))
            if mean is not None:
                setattr(state, key, mean)
        return state


def _read_counter(value: object) -> int | None:
    """Return a stored frame counter, or None when it is unusable."""
    # bool is an int subclass, but True is not a frame count.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return max(value, 0)


def _confidence(detection: object) -> float | None:
    """Return the confidence of one ``[label, confidence, box]`` detection.

    Returns None for anything that is not a well-formed detection with a
    confidence in [0, 1], so one bad entry cannot poison the score.
    """
    if not isinstance(detection, list | tuple) or len(detection) < 2:
        return None
    confidence = finite_number(detection[1])
    if confidence is None or not 0 <= confidence <= 1:
        return None
    return confidence


def sum_p(detections: Iterable[object]) -> float:
    """Return the frame's score: the sum of its valid detection confidences."""
    return float(
        sum(
            confidence
            for confidence in map(_confidence, detections)
            if confidence is not None
        )
    )


def _next_ewm_mean(p: float, mean: float) -> float:
    """Return the exponentially weighted mean after sample ``p``."""
    return p * EWM_ALPHA + mean * (1 - EWM_ALPHA)


def _next_rolling_mean(p: float, mean: float, count: int, window: int) -> float:
    """Return the rolling mean after sample number ``count`` (1-based).

    Below the window Obico divides by ``count + 1``, as if a zero sample came
    first; it is kept so that decisions match Obico's frame for frame.
    """
    divisor = window if window <= count else count + 1
    return mean + (p - mean) / divisor


def update(state: PredictionState, detections: Iterable[object]) -> None:
    """Feed one analyzed frame's detections into the state."""
    p = sum_p(detections)
    state.current_p = p
    # The counters advance first: the rolling means use this frame's number.
    state.current_frame_num += 1
    state.lifetime_frame_num += 1
    state.ewm_mean = _next_ewm_mean(p, state.ewm_mean)
    state.rolling_mean_short = _next_rolling_mean(
        p, state.rolling_mean_short, state.current_frame_num, ROLLING_WIN_SHORT
    )
    state.rolling_mean_long = _next_rolling_mean(
        p, state.rolling_mean_long, state.lifetime_frame_num, ROLLING_WIN_LONG
    )


def is_failing(
    state: PredictionState, sensitivity: float, escalating_factor: float = 1.0
) -> bool:
    """Return whether the smoothed score says the print is failing.

    A larger ``escalating_factor`` asks for stronger evidence; Obico uses
    ``ESCALATING_FACTOR`` for the pause level.
    """
    if state.current_frame_num < INIT_SAFE_FRAME_NUM:
        return False
    adjusted = (
        (state.ewm_mean - state.rolling_mean_long) * sensitivity / escalating_factor
    )
    if adjusted < THRESHOLD_LOW:
        return False
    if adjusted > THRESHOLD_HIGH:
        return True
    return adjusted > ROLLING_MEAN_SHORT_MULTIPLE * (
        state.rolling_mean_short - state.rolling_mean_long
    )


def should_pause(state: PredictionState, sensitivity: float) -> bool:
    """Return whether the score has reached the pause (failure) level."""
    return is_failing(state, sensitivity, ESCALATING_FACTOR)


def should_alert(state: PredictionState, sensitivity: float) -> bool:
    """Return whether the score is at the warning level but below pause."""
    return is_failing(state, sensitivity) and not should_pause(state, sensitivity)


def _scale(
    value: float, low: float, high: float, out_low: float, out_high: float
) -> float:
    """Map [low, high] linearly onto [out_low, out_high], clamped to the latter."""
    scaled = out_low + (value - low) * (out_high - out_low) / (high - low)
    return min(max(scaled, out_low), out_high)


def normalized_p(state: PredictionState, sensitivity: float) -> float:
    """Return the failure risk in [0, 1].

    The warning threshold maps to WARNING_RISK and the failure threshold to
    FAILURE_RISK, so the gauge reads the same way as ``should_alert`` and
    ``should_pause``.
    """
    warning = min(
        max(
            ROLLING_MEAN_SHORT_MULTIPLE
            * (state.rolling_mean_short - state.rolling_mean_long),
            THRESHOLD_LOW,
        ),
        THRESHOLD_HIGH,
    )
    failure = warning * ESCALATING_FACTOR
    score = (state.ewm_mean - state.rolling_mean_long) * sensitivity
    if score > failure:
        return _scale(score, failure, failure * 1.5, FAILURE_RISK, 1.0)
    if score > warning:
        return _scale(score, warning, failure, WARNING_RISK, FAILURE_RISK)
    return _scale(score, 0.0, warning, 0.0, WARNING_RISK)
