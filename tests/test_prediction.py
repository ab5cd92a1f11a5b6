"""Tests for Obico's decision math in custom_components.obico.prediction."""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
import random
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import pytest

from custom_components.obico.prediction import (
    ESCALATING_FACTOR,
    EWM_ALPHA,
    INIT_SAFE_FRAME_NUM,
    ROLLING_MEAN_SHORT_MULTIPLE,
    ROLLING_WIN_LONG,
    ROLLING_WIN_SHORT,
    THRESHOLD_HIGH,
    THRESHOLD_LOW,
    PredictionState,
    is_failing,
    normalized_p,
    should_alert,
    should_pause,
    sum_p,
    update,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

BOX = [320.0, 240.0, 50.0, 40.0]
REL = 1e-12


def detections_for(p: float) -> list[list[object]]:
    """Return Obico-shaped detections whose confidences add up to ``p``."""
    whole, rest = divmod(p, 1.0)
    confidences = [1.0] * int(whole) + ([rest] if rest else [])
    return [["failure", confidence, BOX] for confidence in confidences]


def run_frames(state: PredictionState, ps: Sequence[float]) -> None:
    """Feed one frame per score in ``ps``."""
    for p in ps:
        update(state, detections_for(p))


# --- An independent reference, written the plain way ---------------------------


@dataclass
class ReferenceFrame:
    """The expected means and counters after one frame."""

    frame: int
    lifetime: int
    ewm: float
    short: float
    long: float


def reference_frames(prints: Sequence[Sequence[float]]) -> list[ReferenceFrame]:
    """Compute Obico's means for consecutive prints on one fresh printer.

    Below the window the ``n + 1`` rule makes each rolling mean the sum of the
    samples divided by ``n + 1``, so that part is computed from running totals
    rather than from the incremental formula under test.
    """
    alpha = 2 / 13
    frames: list[ReferenceFrame] = []
    lifetime = 0
    long_total = 0.0
    long = 0.0
    for ps in prints:
        ewm = 0.0
        short = 0.0
        short_total = 0.0
        for frame, p in enumerate(ps, start=1):
            lifetime += 1
            ewm = alpha * p + (1 - alpha) * ewm
            if frame < 310:
                short_total += p
                short = short_total / (frame + 1)
            else:
                short += (p - short) / 310
            if lifetime < 7200:
                long_total += p
                long = long_total / (lifetime + 1)
            else:
                long += (p - long) / 7200
            frames.append(ReferenceFrame(frame, lifetime, ewm, short, long))
    return frames


def reference_failing(
    ref: ReferenceFrame, sensitivity: float, escalating: float
) -> bool:
    """Obico's is_failing, restated on a reference frame."""
    if ref.frame < 30:
        return False
    adjusted = (ref.ewm - ref.long) * sensitivity / escalating
    if adjusted < 0.38:
        return False
    if adjusted > 0.78:
        return True
    return adjusted > 3.8 * (ref.short - ref.long)


def random_prints(seed: int, lengths: Sequence[int]) -> list[list[float]]:
    """Return noisy scores, mostly low with bursts, one list per print.

    Scores are multiples of 1/1024, so splitting them into detections and
    summing them back is exact and the reference sees the very same p.
    """
    rng = random.Random(seed)  # noqa: S311 -- seeded test data
    return [
        [
            rng.choice((0, 0, rng.randrange(300), rng.randrange(2560))) / 1024
            for _ in range(n)
        ]
        for n in lengths
    ]


def assert_matches_reference(
    prints: list[list[float]], expected: list[ReferenceFrame]
) -> None:
    """Feed ``prints`` frame by frame and compare every frame with the reference."""
    state = PredictionState()
    frames = iter(expected)
    for ps in prints:
        state.reset_for_new_print()
        for p in ps:
            update(state, detections_for(p))
            ref = next(frames)
            assert state.current_frame_num == ref.frame
            assert state.lifetime_frame_num == ref.lifetime
            assert state.ewm_mean == pytest.approx(ref.ewm, rel=1e-9, abs=1e-12)
            assert state.rolling_mean_short == pytest.approx(
                ref.short, rel=1e-9, abs=1e-12
            )
            assert state.rolling_mean_long == pytest.approx(
                ref.long, rel=1e-9, abs=1e-12
            )


# --- Constants ------------------------------------------------------------------


def test_constants_are_obicos() -> None:
    """The tuning constants are Obico's published values."""
    assert EWM_ALPHA == 2 / 13
    assert (ROLLING_WIN_SHORT, ROLLING_WIN_LONG) == (310, 7200)
    assert (THRESHOLD_LOW, THRESHOLD_HIGH) == (0.38, 0.78)
    assert INIT_SAFE_FRAME_NUM == 30
    assert ROLLING_MEAN_SHORT_MULTIPLE == 3.8
    assert ESCALATING_FACTOR == 1.75


# --- update: hand-computed values -------------------------------------------------


def test_update_first_three_frames_on_a_fresh_printer() -> None:
    """Frames p = 0.5, 0.2, 0.8 give the hand-computed means."""
    state = PredictionState()

    update(state, [["failure", 0.5, BOX]])
    # ewm = 0.5 * 2/13 = 1/13; short = long = 0 + (0.5 - 0) / (1 + 1)
    assert (state.current_frame_num, state.lifetime_frame_num) == (1, 1)
    assert state.current_p == 0.5
    assert state.ewm_mean == pytest.approx(0.07692307692307693, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.25, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.25, rel=REL)

    update(state, [["failure", 0.2, BOX]])
    # ewm = 0.2 * 2/13 + (1/13) * 11/13 = 16.2/169
    # short = long = 0.25 + (0.2 - 0.25) / 3 = 7/30
    assert (state.current_frame_num, state.lifetime_frame_num) == (2, 2)
    assert state.current_p == 0.2
    assert state.ewm_mean == pytest.approx(0.09585798816568047, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.23333333333333334, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.23333333333333334, rel=REL)

    update(state, [["failure", 0.5, BOX], ["failure", 0.3, BOX]])
    # p = 0.8; ewm = 0.8 * 2/13 + (16.2/169) * 11/13 = 448.6/2197
    # short = long = 7/30 + (0.8 - 7/30) / 4 = 45/120
    assert (state.current_frame_num, state.lifetime_frame_num) == (3, 3)
    assert state.current_p == pytest.approx(0.8, rel=REL)
    assert state.ewm_mean == pytest.approx(0.2041875284478835, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.375, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.375, rel=REL)


def test_update_first_three_frames_on_a_printer_with_a_baseline() -> None:
    """The long mean continues from the lifetime count; the rest start at zero."""
    state = PredictionState(lifetime_frame_num=9, rolling_mean_long=0.1)

    update(state, [["failure", 0.5, BOX]])
    # lifetime n = 10: long = 0.1 + (0.5 - 0.1) / 11 = 1.5/11
    assert (state.current_frame_num, state.lifetime_frame_num) == (1, 10)
    assert state.ewm_mean == pytest.approx(0.07692307692307693, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.25, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.13636363636363635, rel=REL)

    update(state, [["failure", 0.2, BOX]])
    # n = 11: long = 1.5/11 + (0.2 - 1.5/11) / 12 = 1.7/12
    assert (state.current_frame_num, state.lifetime_frame_num) == (2, 11)
    assert state.ewm_mean == pytest.approx(0.09585798816568047, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.23333333333333334, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.14166666666666666, rel=REL)

    update(state, [["failure", 0.8, BOX]])
    # n = 12: long = 1.7/12 + (0.8 - 1.7/12) / 13 = 2.5/13
    assert (state.current_frame_num, state.lifetime_frame_num) == (3, 12)
    assert state.ewm_mean == pytest.approx(0.2041875284478835, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.375, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.19230769230769232, rel=REL)


def test_update_counts_a_frame_with_nothing_seen() -> None:
    """An empty detection list is a frame with p = 0 and pulls the means down."""
    state = PredictionState(
        current_frame_num=4,
        lifetime_frame_num=4,
        ewm_mean=0.5,
        rolling_mean_short=0.5,
        rolling_mean_long=0.5,
    )
    update(state, [])
    # n = 5: short = long = 0.5 + (0 - 0.5) / 6; ewm = 0.5 * 11/13
    assert (state.current_frame_num, state.lifetime_frame_num) == (5, 5)
    assert state.current_p == 0.0
    assert state.ewm_mean == pytest.approx(0.4230769230769231, rel=REL)
    assert state.rolling_mean_short == pytest.approx(0.4166666666666667, rel=REL)
    assert state.rolling_mean_long == pytest.approx(0.4166666666666667, rel=REL)


def test_update_accepts_any_iterable_of_detections() -> None:
    """A generator of detections is summed like a list."""
    state = PredictionState()
    update(state, (["failure", c, BOX] for c in (0.25, 0.5)))
    assert state.current_p == 0.75


# --- update: the window boundaries ----------------------------------------------


@pytest.mark.parametrize(
    ("frames_before", "divisor"),
    [(0, 2), (1, 3), (307, 309), (308, 310), (309, 310), (310, 310), (5000, 310)],
)
def test_short_mean_divisor_switches_to_window_at_310(
    frames_before: int, divisor: int
) -> None:
    """From zero, one p = 1 frame leaves short = 1 / divisor.

    The divisor is n + 1 until the counter n (after incrementing) reaches 310,
    then 310: at n = 310 the n + 1 rule would have given 311.
    """
    state = PredictionState(current_frame_num=frames_before)
    update(state, [["failure", 1.0, BOX]])
    assert state.current_frame_num == frames_before + 1
    assert state.rolling_mean_short == 1 / divisor


@pytest.mark.parametrize(
    ("frames_before", "divisor"),
    [(0, 2), (7197, 7199), (7198, 7200), (7199, 7200), (7200, 7200), (50000, 7200)],
)
def test_long_mean_divisor_switches_to_window_at_7200(
    frames_before: int, divisor: int
) -> None:
    """From zero, one p = 1 frame leaves long = 1 / divisor, switching at 7200."""
    state = PredictionState(lifetime_frame_num=frames_before)
    update(state, [["failure", 1.0, BOX]])
    assert state.lifetime_frame_num == frames_before + 1
    assert state.rolling_mean_long == 1 / divisor


def test_one_print_longer_than_the_short_window_matches_reference() -> None:
    """400 noisy frames in one print match the reference on every frame."""
    prints = random_prints(seed=310, lengths=[400])
    assert_matches_reference(prints, reference_frames(prints))


def test_prints_longer_than_the_long_window_match_reference() -> None:
    """Five prints, 8000 lifetime frames, match the reference on every frame."""
    prints = random_prints(seed=7200, lengths=[2500, 40, 1900, 3000, 560])
    expected = reference_frames(prints)
    assert expected[-1].lifetime == 8000
    assert_matches_reference(prints, expected)


def test_constant_p_follows_the_closed_form() -> None:
    """With p = c from zero, the means follow their closed forms.

    EWM: c * (1 - (11/13)^k). Rolling mean: c * k / (k + 1) while k < win;
    from k = win - 1 on, c - m shrinks by (1 - 1/win) per frame.
    """
    c = 0.6
    state = PredictionState()
    for k in range(1, 1001):
        update(state, [["failure", c, BOX]])
        assert state.ewm_mean == pytest.approx(c * (1 - (11 / 13) ** k), rel=1e-9)
        if k < 310:
            expected_short = c * k / (k + 1)
        else:
            expected_short = c - (c / 310) * (1 - 1 / 310) ** (k - 309)
        assert state.rolling_mean_short == pytest.approx(expected_short, rel=1e-9)
    assert state.rolling_mean_short < c
    assert c - state.rolling_mean_short < c / 310 * (1 - 1 / 310) ** 690


def test_constant_p_long_mean_closed_form_across_prints() -> None:
    """The long mean keeps its closed form across print boundaries past 7200."""
    c = 0.4
    state = PredictionState()
    lifetime = 0
    for _ in range(4):
        state.reset_for_new_print()
        for _ in range(2000):
            update(state, [["failure", c, BOX]])
            lifetime += 1
            if lifetime < 7200:
                expected = c * lifetime / (lifetime + 1)
            else:
                expected = c - (c / 7200) * (1 - 1 / 7200) ** (lifetime - 7199)
            assert state.rolling_mean_long == pytest.approx(expected, rel=1e-9)
    assert state.lifetime_frame_num == 8000
    assert 0 < c - state.rolling_mean_long < c / 7200


# --- Several prints: the lifetime baseline ----------------------------------------


def test_reset_for_new_print_zeroes_only_per_print_fields() -> None:
    """The lifetime baseline survives a new print; everything else restarts."""
    state = PredictionState(
        current_frame_num=120,
        lifetime_frame_num=5000,
        current_p=0.9,
        ewm_mean=0.7,
        rolling_mean_short=0.3,
        rolling_mean_long=0.2,
    )
    state.reset_for_new_print()
    assert state == PredictionState(lifetime_frame_num=5000, rolling_mean_long=0.2)


def test_lifetime_count_continues_across_prints() -> None:
    """The frame counter restarts per print; the lifetime counter keeps counting."""
    state = PredictionState()
    for length in (50, 20, 35):
        state.reset_for_new_print()
        run_frames(state, [0.1] * length)
        assert state.current_frame_num == length
    assert state.lifetime_frame_num == 105


def test_a_purge_line_in_every_print_stops_alarming_once_learned() -> None:
    """A p = 1.625 object seen from frame 30 of every print alerts in print 1 only.

    The first print has no baseline, so the jump pauses it. The jump is part of
    every print, so the long mean learns it and later prints stay quiet.
    """
    pattern = [0.0] * 29 + [1.625] * 271
    state = PredictionState()
    decisions_per_print: list[tuple[int, int]] = []
    for _ in range(4):
        baseline_before = (state.lifetime_frame_num, state.rolling_mean_long)
        state.reset_for_new_print()
        assert (state.lifetime_frame_num, state.rolling_mean_long) == baseline_before
        alerts = pauses = 0
        for p in pattern:
            update(state, detections_for(p))
            alerts += should_alert(state, 1.0)
            pauses += should_pause(state, 1.0)
        decisions_per_print.append((alerts, pauses))

    assert state.lifetime_frame_num == 1200
    assert decisions_per_print[0][0] > 0
    assert decisions_per_print[0][1] > 0
    assert decisions_per_print[1:] == [(0, 0), (0, 0), (0, 0)]
    # The baseline is now close to the pattern's own average of 1.625 * 271 / 300.
    assert state.rolling_mean_long == pytest.approx(1.625 * 271 / 300, rel=0.01)


# --- is_failing --------------------------------------------------------------------


def test_first_29_frames_never_fail_and_frame_30_can() -> None:
    """A huge p on a clean printer is ignored until frame 30, then pauses."""
    state = PredictionState(lifetime_frame_num=7200)
    for frame in range(1, 30):
        update(state, detections_for(10.0))
        assert state.current_frame_num == frame
        assert not is_failing(state, 2.0)
        assert not should_alert(state, 2.0)
        assert not should_pause(state, 2.0)
    update(state, detections_for(10.0))
    assert state.current_frame_num == 30
    assert should_pause(state, 1.0)


@pytest.mark.parametrize(("frame", "expected"), [(0, False), (29, False), (30, True)])
def test_frame_guard_on_a_set_state(frame: int, expected: bool) -> None:
    """The guard depends only on the per-print frame number."""
    state = PredictionState(
        current_frame_num=frame, lifetime_frame_num=100_000, ewm_mean=5.0
    )
    assert is_failing(state, 1.0) is expected


def failing_state(ewm: float, short: float = 0.0, long: float = 0.0) -> PredictionState:
    """Return a state past the frame-30 guard with the given means."""
    return PredictionState(
        current_frame_num=100,
        lifetime_frame_num=1000,
        ewm_mean=ewm,
        rolling_mean_short=short,
        rolling_mean_long=long,
    )


def test_below_low_threshold_is_never_failing() -> None:
    """A < 0.38 is False even when the short-mean test would say True."""
    assert not is_failing(failing_state(ewm=0.37, short=-1.0), 1.0)


def test_above_high_threshold_is_always_failing() -> None:
    """A > 0.78 is True even when the short-mean test would say False."""
    assert is_failing(failing_state(ewm=0.79, short=10.0), 1.0)


@pytest.mark.parametrize(
    ("ewm", "short", "long", "expected"),
    [
        (0.5, 0.13, 0.0, True),  # 0.5 > 3.8 * 0.13 = 0.494
        (0.5, 0.14, 0.0, False),  # 0.5 < 3.8 * 0.14 = 0.532
        (0.9, 0.45, 0.3, True),  # A = 0.6 > 3.8 * 0.15 = 0.57
        (0.9, 0.47, 0.3, False),  # A = 0.6 < 3.8 * 0.17 = 0.646
        (0.38, 0.0, 0.0, True),  # A = 0.38 is not below LOW: 0.38 > 0
        (0.78, 1.0, 0.0, False),  # A = 0.78 is not above HIGH: 0.78 < 3.8
        (0.475, 0.125, 0.0, False),  # A = 0.475 equals 3.8 * 0.125: not above
    ],
)
def test_between_thresholds_compares_with_the_short_mean(
    ewm: float, short: float, long: float, expected: bool
) -> None:
    """Between the thresholds, A must beat 3.8 * (short - long)."""
    assert is_failing(failing_state(ewm, short, long), 1.0) is expected


@pytest.mark.parametrize(
    ("ewm", "short", "sensitivity", "expected"),
    [
        (0.3, 0.0, 1.0, False),  # A = 0.3
        (0.3, 0.0, 1.5, True),  # A = 0.45, above 3.8 * 0
        (0.4, 10.0, 1.0, False),  # A = 0.4, below 3.8 * 10
        (0.4, 10.0, 2.0, True),  # A = 0.8, above HIGH
    ],
)
def test_sensitivity_scales_the_score(
    ewm: float, short: float, sensitivity: float, expected: bool
) -> None:
    """Sensitivity multiplies A."""
    assert is_failing(failing_state(ewm, short), sensitivity) is expected


@pytest.mark.parametrize(
    ("escalating", "expected"),
    [(1.0, True), (1.75, True), (2.0, False)],  # A = 0.7, 0.4, 0.35
)
def test_escalating_factor_divides_the_score(escalating: float, expected: bool) -> None:
    """The escalating factor divides A."""
    assert is_failing(failing_state(ewm=0.7), 1.0, escalating) is expected


def test_escalating_factor_separates_alert_from_pause() -> None:
    """A = 0.5 alerts; A = 0.7 pauses (0.7 / 1.75 = 0.4), with short = long."""
    warning = failing_state(ewm=0.5)
    assert should_alert(warning, 1.0)
    assert not should_pause(warning, 1.0)
    failure = failing_state(ewm=0.7)
    assert should_pause(failure, 1.0)
    assert not should_alert(failure, 1.0)


def test_alert_and_pause_are_exclusive_and_match_is_failing() -> None:
    """On a grid of states, alert = failing and not pause; pause = failing at 1.75."""
    levels = [i / 10 for i in range(-5, 26)]
    seen = {"alert": 0, "pause": 0}
    for ewm in levels:
        for short in levels:
            for long in (0.0, 0.2, 0.9):
                for sensitivity in (0.5, 1.0, 2.0):
                    state = failing_state(ewm, short, long)
                    alert = should_alert(state, sensitivity)
                    pause = should_pause(state, sensitivity)
                    assert not (alert and pause)
                    assert pause is is_failing(state, sensitivity, 1.75)
                    assert alert is (is_failing(state, sensitivity) and not pause)
                    seen["alert"] += alert
                    seen["pause"] += pause
    assert seen["alert"] > 0
    assert seen["pause"] > 0


def rising_prints() -> list[list[float]]:
    """Return one print: 40 quiet frames, then p rising by 1/16 per frame."""
    return [[0.0] * 40 + [k / 16 for k in range(1, 61)]]


def test_rising_sequence_alerts_then_pauses_on_the_reference_frames() -> None:
    """Alert and pause start on the frames the reference computes."""
    prints = rising_prints()
    reference = reference_frames(prints)
    first_alert = next(
        r.frame
        for r in reference
        if reference_failing(r, 1.0, 1.0) and not reference_failing(r, 1.0, 1.75)
    )
    first_pause = next(r.frame for r in reference if reference_failing(r, 1.0, 1.75))
    # Pinned from the reference, so a change in either side shows up here.
    assert (first_alert, first_pause) == (53, 60)

    state = PredictionState()
    alert_frames: list[int] = []
    pause_frames: list[int] = []
    for p in prints[0]:
        update(state, detections_for(p))
        if should_alert(state, 1.0):
            alert_frames.append(state.current_frame_num)
        if should_pause(state, 1.0):
            pause_frames.append(state.current_frame_num)
    assert alert_frames[0] == first_alert
    assert pause_frames[0] == first_pause
    assert alert_frames == list(range(first_alert, first_pause))


def test_every_frame_of_a_long_run_decides_like_the_reference() -> None:
    """Alert and pause decisions match the reference over 3000 noisy frames."""
    prints = random_prints(seed=1234, lengths=[900, 1200, 900])
    frames = iter(reference_frames(prints))
    state = PredictionState()
    matched_pauses = 0
    for ps in prints:
        state.reset_for_new_print()
        for p in ps:
            update(state, detections_for(p))
            ref = next(frames)
            for sensitivity in (0.8, 1.0, 1.2):
                expected_pause = reference_failing(ref, sensitivity, 1.75)
                expected_alert = (
                    reference_failing(ref, sensitivity, 1.0) and not expected_pause
                )
                assert should_pause(state, sensitivity) is expected_pause
                assert should_alert(state, sensitivity) is expected_alert
                matched_pauses += expected_pause
    assert matched_pauses > 0


# --- normalized_p ------------------------------------------------------------------


def test_normalized_p_of_a_fresh_state_is_zero() -> None:
    """Nothing seen yet means no risk."""
    assert normalized_p(PredictionState(), 1.0) == 0.0


@pytest.mark.parametrize(
    ("ewm", "expected"),
    [
        (0.19, 1 / 6),  # S below tw = 0.38: 0.19 / 0.38 * 1/3
        (0.5225, 0.5),  # S halfway between tw = 0.38 and tf = 0.665
        (0.83125, 5 / 6),  # S = 1.25 * tf: halfway from tf to 1.5 * tf
    ],
)
def test_normalized_p_table_rows(ewm: float, expected: float) -> None:
    """Each row of the table maps linearly inside its band."""
    assert normalized_p(failing_state(ewm), 1.0) == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(
    ("ewm", "short", "long", "expected"),
    [
        (0.39, 1.0, 0.0, 1 / 6),  # tw clamps up to 0.78: 0.39 / 0.78 * 1/3
        (0.19, -1.0, 0.0, 1 / 6),  # tw clamps down to 0.38
        (0.2375, 0.125, 0.0, 1 / 6),  # tw = 3.8 * 0.125 = 0.475, unclamped
        (0.4375, 0.325, 0.2, 1 / 6),  # tw = 3.8 * 0.125, S = 0.2375 over the baseline
    ],
)
def test_normalized_p_warning_threshold(
    ewm: float, short: float, long: float, expected: float
) -> None:
    """The warning threshold tw follows 3.8 * (short - long), clamped."""
    state = failing_state(ewm, short, long)
    assert normalized_p(state, 1.0) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("ewm", "expected"),
    [(-0.5, 0.0), (0.0, 0.0), (0.665 * 1.5, 1.0), (10.0, 1.0), (1e9, 1.0)],
)
def test_normalized_p_clamps_at_both_ends(ewm: float, expected: float) -> None:
    """Below the baseline is 0; at or past 1.5 * tf is 1."""
    assert normalized_p(failing_state(ewm), 1.0) == pytest.approx(expected, rel=REL)


def test_normalized_p_is_one_third_at_tw_and_two_thirds_at_tf() -> None:
    """The band boundaries are continuous: S = tw gives 1/3, S = tf gives 2/3."""
    tw = 0.38
    tf = 1.75 * tw
    assert normalized_p(failing_state(tw), 1.0) == pytest.approx(1 / 3, rel=REL)
    assert normalized_p(failing_state(tf), 1.0) == pytest.approx(2 / 3, rel=REL)
    assert normalized_p(failing_state(tw - 1e-9), 1.0) < 1 / 3
    assert normalized_p(failing_state(tw + 1e-9), 1.0) > 1 / 3
    assert normalized_p(failing_state(tf - 1e-9), 1.0) < 2 / 3
    assert normalized_p(failing_state(tf + 1e-9), 1.0) > 2 / 3


def test_normalized_p_sensitivity_scales_the_score() -> None:
    """S = (ewm - long) * s: ewm 0.19 at s = 2 sits on tw = 0.38."""
    assert normalized_p(failing_state(0.19), 2.0) == pytest.approx(1 / 3, rel=REL)


def test_normalized_p_is_monotonic_in_ewm_and_bounded() -> None:
    """Raising the EWM never lowers the risk, which stays within [0, 1]."""
    for short, long in ((0.0, 0.0), (0.15, 0.05), (0.5, 0.1), (-0.2, 0.3)):
        for sensitivity in (0.5, 1.0, 2.0):
            previous = 0.0
            for step in range(-500, 6001):  # up to ewm = 6, past 1.5 * tf
                value = normalized_p(
                    failing_state(step / 1000, short, long), sensitivity
                )
                assert 0.0 <= value <= 1.0
                assert value >= previous
                previous = value
            assert previous == 1.0


def test_normalized_p_for_a_huge_p_is_at_most_one() -> None:
    """Twenty detections per frame (p = 20) saturate the gauge at exactly 1."""
    state = PredictionState(lifetime_frame_num=7200)
    run_frames(state, [20.0] * 50)
    assert normalized_p(state, 2.0) == 1.0


def test_normalized_p_agrees_with_the_decisions() -> None:
    """Past frame 30: pause reads at least 2/3, alert 1/3..2/3, neither at most 1/3."""
    rng = random.Random(33)  # noqa: S311 -- seeded test data
    for _ in range(5000):
        state = failing_state(
            ewm=rng.uniform(-0.5, 2.5),
            short=rng.uniform(-0.2, 1.0),
            long=rng.uniform(0.0, 0.5),
        )
        sensitivity = rng.uniform(0.5, 2.0)
        risk = normalized_p(state, sensitivity)
        if should_pause(state, sensitivity):
            assert risk >= 2 / 3 - 1e-12
        elif should_alert(state, sensitivity):
            assert 1 / 3 - 1e-12 <= risk <= 2 / 3 + 1e-12
        else:
            assert risk <= 1 / 3 + 1e-12


# --- sum_p and malformed detections ---------------------------------------------


class Detection(NamedTuple):
    """A detection as a NamedTuple, as a typed client might build it."""

    label: str
    confidence: float
    box: tuple[float, float, float, float]


def test_sum_p_adds_confidences() -> None:
    """Confidences add up, and p may exceed 1."""
    detections = [["failure", 0.75, BOX], ("failure", 0.5, BOX), ["failure", 0.25]]
    assert sum_p(detections) == 1.5


def test_sum_p_of_no_detections_is_zero_float() -> None:
    """An empty list is 0.0, a float."""
    result = sum_p([])
    assert result == 0.0
    assert isinstance(result, float)


def test_sum_p_accepts_named_tuples() -> None:
    """A NamedTuple detection is read through index 1."""
    detections = [Detection("failure", 0.5, (1.0, 2.0, 3.0, 4.0))]
    assert sum_p(detections) == 0.5


@pytest.mark.parametrize("confidence", [0, 1, 0.0, 1.0])
def test_sum_p_accepts_the_bounds_and_ints(confidence: float) -> None:
    """0 and 1, as ints or floats, are valid confidences."""
    result = sum_p([["failure", confidence, BOX], ["failure", 0.25, BOX]])
    assert result == confidence + 0.25
    assert isinstance(result, float)


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(["failure"], id="missing-confidence"),
        pytest.param([], id="empty-list"),
        pytest.param(["failure", math.nan, BOX], id="nan"),
        pytest.param(["failure", math.inf, BOX], id="inf"),
        pytest.param(["failure", -math.inf, BOX], id="minus-inf"),
        pytest.param(["failure", -0.1, BOX], id="negative"),
        pytest.param(["failure", 1.01, BOX], id="above-one"),
        pytest.param(["failure", 2, BOX], id="int-above-one"),
        pytest.param(["failure", True, BOX], id="bool-true"),
        pytest.param(["failure", False, BOX], id="bool-false"),
        pytest.param(["failure", "0.9", BOX], id="str-confidence"),
        pytest.param(["failure", None, BOX], id="none-confidence"),
        pytest.param(["failure", [0.9], BOX], id="list-confidence"),
        pytest.param(None, id="none-entry"),
        pytest.param({"label": "failure", "confidence": 0.9}, id="dict-entry"),
        pytest.param(1, id="int-entry"),
        pytest.param(0.9, id="float-entry"),
        pytest.param("failure", id="str-entry"),
        pytest.param([["failure", 0.9, BOX]], id="nested-detection"),
        pytest.param([[[["x"]]], {"a": [1]}], id="nested-garbage"),
    ],
)
def test_sum_p_skips_malformed_entries(malformed: object) -> None:
    """A malformed entry is skipped; valid entries around it still count."""
    detections = [["failure", 0.25, BOX], malformed, ("failure", 0.5, BOX)]
    assert sum_p(detections) == 0.75


def test_sum_p_of_only_malformed_entries_is_zero() -> None:
    """A list with nothing valid is 0.0."""
    detections: list[object] = [
        ["failure"],
        ["failure", math.nan, BOX],
        None,
        {"confidence": 0.5},
        7,
        ["failure", "high", BOX],
        ["failure", True, BOX],
    ]
    assert sum_p(detections) == 0.0


def test_update_with_malformed_detections_still_counts_the_frame() -> None:
    """Garbage is p = 0 for that frame, not a skipped frame."""
    state = PredictionState()
    update(state, [None, ["failure", math.nan, BOX], ["failure", 0.5, BOX]])
    assert state.current_frame_num == 1
    assert state.current_p == 0.5
    assert math.isfinite(state.ewm_mean)
    assert state.rolling_mean_short == pytest.approx(0.25, rel=REL)


# --- to_dict / from_dict -----------------------------------------------------------


def sample_state() -> PredictionState:
    """Return a state with distinct, awkward values in every field."""
    return PredictionState(
        current_frame_num=311,
        lifetime_frame_num=7201,
        current_p=1.2345678901234567,
        ewm_mean=0.1 + 0.2,
        rolling_mean_short=1 / 3,
        rolling_mean_long=2.5e-17,
    )


def test_to_dict_lists_every_field() -> None:
    """to_dict names each field with its value."""
    assert sample_state().to_dict() == {
        "current_frame_num": 311,
        "lifetime_frame_num": 7201,
        "current_p": 1.2345678901234567,
        "ewm_mean": 0.30000000000000004,
        "rolling_mean_short": 1 / 3,
        "rolling_mean_long": 2.5e-17,
    }


def test_round_trip_is_exact() -> None:
    """from_dict(to_dict()) gives back an equal state."""
    state = sample_state()
    assert PredictionState.from_dict(state.to_dict()) == state


def test_json_round_trip_is_exact() -> None:
    """The dict survives strict JSON (no NaN) and comes back equal."""
    state = sample_state()
    text = json.dumps(state.to_dict(), allow_nan=False)
    restored = PredictionState.from_dict(json.loads(text))
    assert restored == state
    assert isinstance(restored.current_frame_num, int)
    assert isinstance(restored.rolling_mean_long, float)


def test_round_trip_after_real_frames() -> None:
    """A state built by update round-trips through JSON."""
    state = PredictionState()
    run_frames(state, [0.3, 1.7, 0.0, 0.91])
    restored = PredictionState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state


def test_from_dict_of_an_empty_mapping_is_the_default_state() -> None:
    """Every key missing gives a fresh state."""
    assert PredictionState.from_dict({}) == PredictionState()


def test_from_dict_fills_missing_keys_with_defaults() -> None:
    """An old store with only the baseline keeps it and defaults the rest."""
    data = {"lifetime_frame_num": 900, "rolling_mean_long": 0.07}
    assert PredictionState.from_dict(data) == PredictionState(
        lifetime_frame_num=900, rolling_mean_long=0.07
    )


def test_from_dict_ignores_unknown_keys_and_accepts_any_mapping() -> None:
    """Extra keys are ignored; a read-only mapping works too."""
    data = {**sample_state().to_dict(), "version": 2, "alerted_at": "yesterday"}
    assert PredictionState.from_dict(MappingProxyType(data)) == sample_state()


@pytest.mark.parametrize(
    "bad",
    ["12", None, 3.0, 2.5, True, False, [1], {"n": 1}, math.nan],
    ids=repr,
)
@pytest.mark.parametrize("key", ["current_frame_num", "lifetime_frame_num"])
def test_from_dict_counter_of_wrong_type_takes_default(key: str, bad: object) -> None:
    """A counter that is not a plain int falls back to 0; other keys survive."""
    data: dict[str, object] = {**sample_state().to_dict(), key: bad}
    restored = PredictionState.from_dict(data)
    assert getattr(restored, key) == 0
    assert restored.to_dict() == {**sample_state().to_dict(), key: 0}


@pytest.mark.parametrize("key", ["current_frame_num", "lifetime_frame_num"])
def test_from_dict_negative_counter_takes_zero(key: str) -> None:
    """A negative counter becomes 0."""
    restored = PredictionState.from_dict({key: -5})
    assert getattr(restored, key) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "0.5",
        None,
        True,
        False,
        [0.5],
        {"v": 0.5},
        math.nan,
        math.inf,
        -math.inf,
        10**400,
    ],
    ids=repr,
)
@pytest.mark.parametrize(
    "key", ["current_p", "ewm_mean", "rolling_mean_short", "rolling_mean_long"]
)
def test_from_dict_mean_of_wrong_type_or_non_finite_takes_default(
    key: str, bad: object
) -> None:
    """A mean that is not a finite number falls back to 0.0; other keys survive."""
    data: dict[str, object] = {**sample_state().to_dict(), key: bad}
    restored = PredictionState.from_dict(data)
    assert getattr(restored, key) == 0.0
    assert restored.to_dict() == {**sample_state().to_dict(), key: 0.0}


def test_from_dict_accepts_an_int_mean_as_float() -> None:
    """A hand-edited whole number is a valid mean and is stored as a float."""
    restored = PredictionState.from_dict({"rolling_mean_long": 1})
    assert restored.rolling_mean_long == 1.0
    assert isinstance(restored.rolling_mean_long, float)


def test_from_dict_restored_state_continues_like_the_original() -> None:
    """A restart mid-print resumes the same sequence of means."""
    prints = random_prints(seed=99, lengths=[600])
    original = PredictionState()
    run_frames(original, prints[0][:400])
    restored = PredictionState.from_dict(json.loads(json.dumps(original.to_dict())))
    run_frames(original, prints[0][400:])
    run_frames(restored, prints[0][400:])
    assert restored == original
