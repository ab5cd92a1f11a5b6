"""Tests for Obico's verdict on one print (custom_components.obico.verdict)."""

from __future__ import annotations

import pytest

from custom_components.obico.alerts import (
    Action,
    AlertState,
    Decision,
    Feedback,
    Level,
    Notice,
    Phase,
)
from custom_components.obico.const import DetectionState
from custom_components.obico.prediction import INIT_SAFE_FRAME_NUM, PredictionState
from custom_components.obico.verdict import Verdict

T0 = 1_700_000_000.0
SPAGHETTI = [["failure", 0.9, [100, 100, 50, 50]], ["failure", 0.3, [9, 9, 5, 5]]]


def failing() -> Verdict:
    """A print past its warm-up whose smoothed score is at pause level."""
    return Verdict(
        PredictionState(
            current_frame_num=INIT_SAFE_FRAME_NUM,
            lifetime_frame_num=500,
            ewm_mean=1.0,
            rolling_mean_short=0.1,
            rolling_mean_long=0.1,
        )
    )


def test_judge_counts_the_frame_and_decides_on_the_new_level() -> None:
    """A frame updates the statistics first; the decision sees the result."""
    verdict = failing()
    decision = verdict.judge(SPAGHETTI, 1.0, Action.PAUSE, T0)
    assert verdict.prediction.current_frame_num == INIT_SAFE_FRAME_NUM + 1
    assert verdict.prediction.lifetime_frame_num == 501
    assert verdict.prediction.current_p == pytest.approx(1.2)
    assert decision == Decision(
        notice=Notice.FAILURE_PAUSING, pause=True, failure_started=True
    )
    assert verdict.alerts.paused_at == T0


def test_judge_within_warm_up_decides_nothing() -> None:
    """Obico never alerts in a print's first frames, whatever they show."""
    verdict = Verdict()
    assert verdict.judge(SPAGHETTI, 1.0, Action.PAUSE, T0) == Decision()
    assert verdict.level(1.0) is Level.SAFE
    assert verdict.alerts == AlertState()


def test_judge_with_notify_only_never_pauses() -> None:
    """Notify only tells of the failure and leaves the print alone."""
    verdict = failing()
    decision = verdict.judge(SPAGHETTI, 1.0, Action.NOTIFY, T0)
    assert decision == Decision(notice=Notice.FAILURE_NOT_PAUSED, failure_started=True)
    assert verdict.alerts.paused_at is None


@pytest.mark.parametrize(
    ("sensitivity", "level", "risk"),
    [
        (0.5, Level.WARNING, 41.52),
        (0.8, Level.FAILURE, 72.18),
        (1.0, Level.FAILURE, 90.23),
        (1.2, Level.FAILURE, 100.0),
    ],
)
def test_level_and_risk_follow_the_sensitivity(
    sensitivity: float, level: Level, risk: float
) -> None:
    """The figures of Obico's math for this state, rounded to 0.01 %."""
    verdict = failing()
    assert verdict.level(sensitivity) is level
    assert verdict.risk(sensitivity) == risk


def test_a_safe_print_has_no_risk() -> None:
    """A print with nothing seen yet is safe at any sensitivity."""
    assert Verdict().risk(1.0) == 0
    assert Verdict().level(2.0) is Level.SAFE


def test_a_new_print_forgets_the_old_one_but_keeps_the_baseline() -> None:
    """The lifetime frame count is the printer's, not the print's."""
    verdict = failing()
    verdict.judge(SPAGHETTI, 1.0, Action.PAUSE, T0)
    verdict.mute()
    verdict.start_new_print()
    assert verdict.alerts == AlertState()
    assert verdict.prediction.current_frame_num == 0
    assert verdict.prediction.ewm_mean == 0
    assert verdict.prediction.lifetime_frame_num == 501


def test_an_acknowledgement_clears_the_failure_and_holds_the_pause_back() -> None:
    """Not a failure lowers the flag and buys Obico's grace of 90 s."""
    verdict = failing()
    verdict.judge(SPAGHETTI, 1.0, Action.NOTIFY, T0)
    verdict.acknowledge(Feedback.NOT_A_FAILURE, T0 + 1)
    assert verdict.alerts.failure is False
    assert verdict.alerts.feedback is Feedback.NOT_A_FAILURE
    assert verdict.alerts.alert_acknowledged_at == T0 + 1
    # Within Obico's grace after the answer, a pause-level frame does nothing.
    assert verdict.judge(SPAGHETTI, 1.0, Action.PAUSE, T0 + 11) == Decision()


def test_a_muted_print_decides_nothing() -> None:
    """A muted print is watched no more until the next one."""
    verdict = failing()
    verdict.mute()
    assert verdict.alerts.muted is True
    assert verdict.judge(SPAGHETTI, 1.0, Action.PAUSE, T0) == Decision()


@pytest.mark.parametrize(
    ("verdict", "enabled", "phase", "fault", "expected"),
    [
        # Each reason wins over every one below it.
        (failing(), False, Phase.PAUSED, DetectionState.ML_UNAVAILABLE, "disabled"),
        (failing(), True, Phase.PAUSED, DetectionState.ML_UNAVAILABLE, "paused"),
        (failing(), True, Phase.IDLE, DetectionState.ML_UNAVAILABLE, "idle"),
        (failing(), True, None, None, "idle"),
        (
            Verdict(alerts=AlertState(muted=True)),
            True,
            Phase.PRINTING,
            DetectionState.CAMERA_UNAVAILABLE,
            "muted",
        ),
        (
            Verdict(),
            True,
            Phase.PRINTING,
            DetectionState.ML_UNAVAILABLE,
            "ml_unavailable",
        ),
        (Verdict(), True, Phase.PRINTING, None, "warming_up"),
        (failing(), True, Phase.PRINTING, None, "failure"),
        (
            Verdict(PredictionState(current_frame_num=INIT_SAFE_FRAME_NUM)),
            True,
            Phase.PRINTING,
            None,
            "safe",
        ),
    ],
)
def test_detection_state_names_the_first_reason(
    verdict: Verdict,
    enabled: bool,
    phase: Phase | None,
    fault: DetectionState | None,
    expected: str,
) -> None:
    """Disabled, paused, idle, muted, a fault, warm-up, then the level."""
    state = verdict.detection_state(1.0, enabled=enabled, phase=phase, fault=fault)
    assert state == DetectionState(expected)


def test_detection_state_shows_a_warning_level() -> None:
    """A print at alert level, watched and without fault, shows "warning"."""
    state = failing().detection_state(
        0.5, enabled=True, phase=Phase.PRINTING, fault=None
    )
    assert state is DetectionState.WARNING
