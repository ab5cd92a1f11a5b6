"""Tests for the per-print alert state machine (DESIGN §5)."""

from __future__ import annotations

from dataclasses import replace
import json

import pytest

from custom_components.obico.alerts import (
    ACK_GRACE,
    ALERT_COOLDOWN,
    Action,
    AlertEvent,
    AlertState,
    Decision,
    Feedback,
    Level,
    Notice,
    Phase,
    acknowledge,
    alert_event,
    classify_phase,
    evaluate,
    is_suppressed,
    level_of,
    mute,
    starts_new_print,
)
from custom_components.obico.prediction import (
    PredictionState,
    should_alert,
    should_pause,
)

T0 = 1_700_000_000.0
PAUSING_ACTIONS = [Action.PAUSE, Action.PAUSE_AND_OFF]
PAUSED_NOW = Decision(notice=Notice.FAILURE_PAUSING, pause=True, failure_started=True)
NOTHING = Decision()


def test_constants_match_obico() -> None:
    """Both windows are Obico's 90 seconds."""
    assert ALERT_COOLDOWN == 90.0
    assert ACK_GRACE == 90.0


# --- is_suppressed -----------------------------------------------------------


def test_not_suppressed_when_no_alert_was_ever_sent() -> None:
    """A fresh print may alert straight away."""
    assert is_suppressed(AlertState(), T0) is False


def test_not_suppressed_with_only_an_acknowledgement() -> None:
    """An acknowledgement with no alert before it holds nothing back."""
    state = AlertState(alert_acknowledged_at=T0)
    assert is_suppressed(state, T0 + 1) is False


@pytest.mark.parametrize(("elapsed", "expected"), [(0.0, True), (89.9, True)])
def test_acknowledged_alert_suppresses_within_cooldown(
    elapsed: float, expected: bool
) -> None:
    """Even an acknowledged alert holds the next one back for 90 s."""
    state = AlertState(alerted_at=T0, alert_acknowledged_at=T0)
    assert is_suppressed(state, T0 + elapsed) is expected


def test_acknowledged_alert_stops_suppressing_at_cooldown() -> None:
    """At exactly 90 s after an acknowledged alert, alerts are allowed."""
    state = AlertState(alerted_at=T0, alert_acknowledged_at=T0 + 5)
    assert is_suppressed(state, T0 + 90) is False


@pytest.mark.parametrize("elapsed", [90.0, 3600.0, 10_000_000.0])
def test_unacknowledged_alert_suppresses_after_cooldown(elapsed: float) -> None:
    """Without an acknowledgement, suppression never ends on its own."""
    state = AlertState(alerted_at=T0)
    assert is_suppressed(state, T0 + elapsed) is True


def test_acknowledgement_at_the_same_instant_counts() -> None:
    """Only an acknowledgement strictly older than the alert leaves it open."""
    state = AlertState(alerted_at=T0, alert_acknowledged_at=T0)
    assert is_suppressed(state, T0 + 90) is False


def test_acknowledgement_older_than_the_alert_does_not_count() -> None:
    """An acknowledgement must postdate the alert it answers."""
    state = AlertState(alerted_at=T0 + 100, alert_acknowledged_at=T0)
    assert is_suppressed(state, T0 + 1000) is True


# --- evaluate: levels --------------------------------------------------------


def test_first_warning_is_sent_and_recorded() -> None:
    """A warning with nothing before it notifies and stamps alerted_at."""
    state = AlertState()

    assert evaluate(state, Level.WARNING, Action.PAUSE, T0) == Decision(
        notice=Notice.WARNING
    )
    assert state == AlertState(alerted_at=T0)


@pytest.mark.parametrize("action", list(Action))
def test_safe_frame_changes_nothing(action: Action) -> None:
    """A safe frame returns no decision and leaves every field alone."""
    state = AlertState(
        alerted_at=T0, alert_acknowledged_at=T0 + 1, paused_at=T0, failure=True
    )
    before = replace(state)

    assert evaluate(state, Level.SAFE, action, T0 + 500) == NOTHING
    assert state == before


@pytest.mark.parametrize("action", PAUSING_ACTIONS)
def test_first_failure_pauses(action: Action) -> None:
    """Pause level with a pausing action pauses once and says so."""
    state = AlertState()

    assert evaluate(state, Level.FAILURE, action, T0) == PAUSED_NOW
    assert state == AlertState(alerted_at=T0, paused_at=T0, failure=True)


# --- cooldown and suppression ------------------------------------------------


def test_second_warning_89_seconds_later_is_suppressed() -> None:
    """A warning inside the cooldown is held back and not recorded."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.NOTIFY, T0)

    assert evaluate(state, Level.WARNING, Action.NOTIFY, T0 + 89) == NOTHING
    assert state.alerted_at == T0


def test_after_acknowledgement_warning_allowed_90_seconds_after_last_alert() -> None:
    """Once acknowledged, the cooldown is measured from the last alert."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.NOTIFY, T0)
    acknowledge(state, Feedback.NOT_A_FAILURE, T0 + 10)

    assert evaluate(state, Level.WARNING, Action.NOTIFY, T0 + 89) == NOTHING
    assert state.alerted_at == T0
    assert evaluate(state, Level.WARNING, Action.NOTIFY, T0 + 90) == Decision(
        notice=Notice.WARNING
    )
    assert state.alerted_at == T0 + 90


def test_unacknowledged_alert_suppresses_for_the_rest_of_the_print() -> None:
    """With action notify, an ignored warning silences the whole print."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.NOTIFY, T0)

    for elapsed in (90.0, 600.0, 86_400.0):
        assert evaluate(state, Level.WARNING, Action.NOTIFY, T0 + elapsed) == NOTHING
        failure = evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + elapsed)
        assert failure.notice is None
        assert failure.pause is False
    assert state.alerted_at == T0


# --- DESIGN §9 scenarios -----------------------------------------------------


@pytest.mark.parametrize("action", PAUSING_ACTIONS)
def test_warning_then_failure_pauses_despite_unacknowledged_warning(
    action: Action,
) -> None:
    """Suppression holds back notifications, never the automatic pause."""
    state = AlertState()

    assert evaluate(state, Level.WARNING, action, T0) == Decision(notice=Notice.WARNING)
    assert is_suppressed(state, T0 + 5) is True
    assert evaluate(state, Level.FAILURE, action, T0 + 5) == PAUSED_NOW
    assert state.paused_at == T0 + 5
    assert state.alerted_at == T0 + 5


def test_failure_then_warning_is_suppressed() -> None:
    """After the pause alert, later warnings stay quiet until acknowledged."""
    state = AlertState()
    evaluate(state, Level.FAILURE, Action.PAUSE, T0)

    assert evaluate(state, Level.WARNING, Action.PAUSE, T0 + 5) == NOTHING
    assert evaluate(state, Level.WARNING, Action.PAUSE, T0 + 500) == NOTHING
    assert state.alerted_at == T0


@pytest.mark.parametrize(
    ("since_ack", "expected_pause"), [(0.0, False), (89.0, False), (90.0, True)]
)
def test_failure_after_acknowledgement_pauses_only_after_grace(
    since_ack: float, expected_pause: bool
) -> None:
    """No automatic pause within 90 s of an acknowledgement."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.PAUSE, T0)
    acknowledge(state, Feedback.NOT_A_FAILURE, T0 + 200)

    decision = evaluate(state, Level.FAILURE, Action.PAUSE, T0 + 200 + since_ack)

    assert decision.pause is expected_pause
    assert (state.paused_at is not None) is expected_pause


@pytest.mark.parametrize("action", [Action.PAUSE, Action.PAUSE_AND_OFF])
def test_acknowledged_then_failure_within_grace_does_nothing_at_all(
    action: Action,
) -> None:
    """Obico's pause_if_needed: inside the grace, no pause and no notification."""
    state = AlertState()
    evaluate(state, Level.WARNING, action, T0)
    acknowledge(state, Feedback.NOT_A_FAILURE, T0 + 100)
    before = AlertState.from_dict(state.to_dict())

    for now in (T0 + 100, T0 + 150, T0 + 189.999):
        assert evaluate(state, Level.FAILURE, action, now) == Decision()
        assert state == before
    # The grace ends at T0 + 190; that alert is unanswered, yet the pause goes.
    assert evaluate(state, Level.FAILURE, action, T0 + 190) == PAUSED_NOW
    assert state.paused_at == T0 + 190
    assert state.failure is True


def test_acknowledged_then_failure_within_grace_notifies_when_notify_only() -> None:
    """Without a pausing action the grace does not apply: the usual rules do."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.NOTIFY, T0)
    acknowledge(state, Feedback.NOT_A_FAILURE, T0 + 100)

    # Cooldown since T0 is over and the alert was acknowledged: notify.
    assert evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 189) == Decision(
        notice=Notice.FAILURE_NOT_PAUSED
    )
    assert state.alerted_at == T0 + 189
    # Within the grace the failure flag the user just cleared stays down.
    assert state.failure is False


def test_automatic_pause_happens_at_most_once_per_print() -> None:
    """Acknowledgements and long waits never bring a second automatic pause."""
    state = AlertState()
    assert evaluate(state, Level.FAILURE, Action.PAUSE, T0).pause is True

    for elapsed in (1_000.0, 100_000.0):
        acknowledge(state, Feedback.FAILED, T0 + elapsed - 500)
        decision = evaluate(state, Level.FAILURE, Action.PAUSE, T0 + elapsed)
        assert decision == Decision(
            notice=Notice.FAILURE_NOT_PAUSED, failure_started=True
        )
    assert state.paused_at == T0


def test_new_print_rearms_the_pause() -> None:
    """Resetting for a new print allows one more automatic pause."""
    state = AlertState()
    evaluate(state, Level.FAILURE, Action.PAUSE, T0)

    state.reset_for_new_print()

    assert evaluate(state, Level.FAILURE, Action.PAUSE, T0 + 60) == PAUSED_NOW
    assert state.paused_at == T0 + 60


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("action", list(Action))
def test_muted_does_nothing_and_leaves_state(level: Level, action: Action) -> None:
    """A muted print gets no decisions and its state is untouched."""
    state = AlertState(alert_acknowledged_at=T0 - 1000)
    mute(state)
    before = replace(state)

    assert evaluate(state, level, action, T0) == NOTHING
    assert state == before


def test_notify_action_never_pauses() -> None:
    """Action notify never pauses, whatever acknowledgements come in between."""
    state = AlertState()
    decisions = []
    for minute in range(60):
        now = T0 + 60 * minute
        if minute % 3 == 2:
            acknowledge(state, Feedback.FAILED, now - 30)
        decisions.append(evaluate(state, Level.FAILURE, Action.NOTIFY, now))

    assert all(decision.pause is False for decision in decisions)
    assert {d.notice for d in decisions} == {Notice.FAILURE_NOT_PAUSED, None}
    assert state.paused_at is None
    assert decisions[0] == Decision(
        notice=Notice.FAILURE_NOT_PAUSED, failure_started=True
    )


def test_notify_action_reports_failure_after_acknowledged_alert() -> None:
    """Hand-traced notify run: alert, acknowledge, alert again."""
    state = AlertState()
    first = evaluate(state, Level.FAILURE, Action.NOTIFY, T0)
    suppressed = evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 200)
    acknowledge(state, Feedback.FAILED, T0 + 300)
    again = evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 400)

    assert first == Decision(notice=Notice.FAILURE_NOT_PAUSED, failure_started=True)
    assert suppressed == NOTHING
    assert again == Decision(notice=Notice.FAILURE_NOT_PAUSED, failure_started=True)
    assert state.alerted_at == T0 + 400


def test_failure_started_without_notice_when_suppressed() -> None:
    """The flag rises even when the failure notification is held back."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.NOTIFY, T0)

    assert evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 5) == Decision(
        failure_started=True
    )
    assert state.failure is True
    assert state.alerted_at == T0


def test_resume_outside_home_assistant_brings_no_pause_and_no_alerts() -> None:
    """Resuming at the printer acknowledges nothing: the print stays silent."""
    state = AlertState()
    assert evaluate(state, Level.FAILURE, Action.PAUSE, T0) == PAUSED_NOW
    # The printer is resumed at its own screen; nothing reaches alerts.py.

    for elapsed in (60.0, 600.0, 6_000.0):
        assert evaluate(state, Level.FAILURE, Action.PAUSE, T0 + elapsed) == NOTHING
        assert evaluate(state, Level.WARNING, Action.PAUSE, T0 + elapsed) == NOTHING
    assert state == AlertState(alerted_at=T0, paused_at=T0, failure=True)


# --- failure flag ------------------------------------------------------------


def test_failure_flag_rises_once_and_safe_frames_keep_it() -> None:
    """failure_started marks only the rising edge; SAFE does not clear it."""
    state = AlertState()

    assert evaluate(state, Level.FAILURE, Action.PAUSE, T0).failure_started is True
    assert state.failure is True
    second = evaluate(state, Level.FAILURE, Action.PAUSE, T0 + 10)
    assert second.failure_started is False
    evaluate(state, Level.SAFE, Action.PAUSE, T0 + 20)
    evaluate(state, Level.WARNING, Action.PAUSE, T0 + 200)
    assert state.failure is True


def test_warning_does_not_raise_failure_flag() -> None:
    """Only pause level sets the failure flag."""
    state = AlertState()
    evaluate(state, Level.WARNING, Action.PAUSE, T0)
    assert state.failure is False


def test_failure_flag_cleared_by_acknowledgement_and_held_off_during_grace() -> None:
    """Acknowledging clears the flag; it comes back only after ACK_GRACE."""
    state = AlertState()
    evaluate(state, Level.FAILURE, Action.NOTIFY, T0)
    acknowledge(state, Feedback.NOT_A_FAILURE, T0 + 100)
    assert state.failure is False

    inside = evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 189)
    assert inside.failure_started is False
    assert state.failure is False

    after = evaluate(state, Level.FAILURE, Action.NOTIFY, T0 + 190)
    assert after.failure_started is True
    assert state.failure is True


# --- acknowledge, mute, reset -----------------------------------------------


@pytest.mark.parametrize("feedback", list(Feedback))
def test_acknowledge_records_feedback_and_rearms(feedback: Feedback) -> None:
    """Either verdict is recorded and lets the next alert through."""
    state = AlertState(alerted_at=T0, paused_at=T0, failure=True)
    assert is_suppressed(state, T0 + 500) is True

    acknowledge(state, feedback, T0 + 30)

    assert state == AlertState(
        alerted_at=T0,
        alert_acknowledged_at=T0 + 30,
        feedback=feedback,
        paused_at=T0,
        failure=False,
    )
    assert is_suppressed(state, T0 + 90) is False


def test_mute_lasts_until_new_print() -> None:
    """Mute sets the flag; only a reset clears it."""
    state = AlertState()
    mute(state)
    assert state == AlertState(muted=True)

    state.reset_for_new_print()
    assert state == AlertState()
    assert evaluate(state, Level.WARNING, Action.NOTIFY, T0) == Decision(
        notice=Notice.WARNING
    )


def test_reset_for_new_print_restores_every_default() -> None:
    """A reset state equals a freshly built one."""
    state = AlertState(
        alerted_at=T0,
        alert_acknowledged_at=T0 + 1,
        feedback=Feedback.FAILED,
        paused_at=T0,
        muted=True,
        failure=True,
    )
    state.reset_for_new_print()
    assert state == AlertState()


# --- classify_phase and starts_new_print -------------------------------------

PRINTING = ("printing", "running")
PAUSED = ("paused", "pause")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("unknown", None),
        ("unavailable", None),
        ("printing", Phase.PRINTING),
        ("running", Phase.PRINTING),
        ("paused", Phase.PAUSED),
        ("pause", Phase.PAUSED),
        ("idle", Phase.IDLE),
        ("finish", Phase.IDLE),
        ("", Phase.IDLE),
        ("Printing", Phase.IDLE),
        ("RUNNING", Phase.IDLE),
        (" printing", Phase.IDLE),
    ],
)
def test_classify_phase(value: str | None, expected: Phase | None) -> None:
    """Exact, case-sensitive matching; unknown/unavailable are transient."""
    assert classify_phase(value, PRINTING, PAUSED) == expected


def test_classify_phase_transient_wins_over_configured_states() -> None:
    """Unavailable stays transient even if a user lists it as printing."""
    assert classify_phase("unavailable", {"unavailable"}, set()) is None


def test_classify_phase_printing_checked_before_paused() -> None:
    """A value in both lists counts as printing."""
    assert classify_phase("on", ["on"], ["on"]) is Phase.PRINTING


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (None, Phase.PRINTING, True),
        (Phase.IDLE, Phase.PRINTING, True),
        (Phase.PAUSED, Phase.PRINTING, False),
        (Phase.PRINTING, Phase.PRINTING, False),
        (None, Phase.IDLE, False),
        (None, Phase.PAUSED, False),
        (Phase.IDLE, Phase.IDLE, False),
        (Phase.IDLE, Phase.PAUSED, False),
        (Phase.PRINTING, Phase.IDLE, False),
        (Phase.PRINTING, Phase.PAUSED, False),
        (Phase.PAUSED, Phase.IDLE, False),
        (Phase.PAUSED, Phase.PAUSED, False),
    ],
)
def test_starts_new_print(
    previous: Phase | None, current: Phase, expected: bool
) -> None:
    """Only entering printing from idle (or first sight) is a new print."""
    assert starts_new_print(previous, current) is expected


# --- to_dict / from_dict -----------------------------------------------------

FULL_STATE = AlertState(
    alerted_at=T0 + 0.125,
    alert_acknowledged_at=T0 + 1.1,
    feedback=Feedback.NOT_A_FAILURE,
    paused_at=T0 + 0.125,
    muted=True,
    failure=True,
)


def test_to_dict_is_plain_json() -> None:
    """to_dict gives plain values, the feedback as its string value."""
    assert FULL_STATE.to_dict() == {
        "alerted_at": T0 + 0.125,
        "alert_acknowledged_at": T0 + 1.1,
        "feedback": "not_a_failure",
        "paused_at": T0 + 0.125,
        "muted": True,
        "failure": True,
    }
    assert type(FULL_STATE.to_dict()["feedback"]) is str
    assert AlertState().to_dict() == {
        "alerted_at": None,
        "alert_acknowledged_at": None,
        "feedback": None,
        "paused_at": None,
        "muted": False,
        "failure": False,
    }


@pytest.mark.parametrize(
    "state",
    [
        AlertState(),
        FULL_STATE,
        AlertState(alerted_at=T0, feedback=Feedback.FAILED, failure=True),
        AlertState(alerted_at=0.1 + 0.2, paused_at=-5.0),
    ],
)
def test_round_trip_through_json(state: AlertState) -> None:
    """to_dict then from_dict gives back an equal state, also via JSON."""
    assert AlertState.from_dict(state.to_dict()) == state
    assert AlertState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_from_dict_restores_feedback_as_enum() -> None:
    """Feedback comes back as the enum member, not a bare string."""
    restored = AlertState.from_dict({"feedback": "failed"})
    assert restored.feedback is Feedback.FAILED


def test_from_dict_missing_keys_give_defaults() -> None:
    """An empty mapping (e.g. an older store) gives a fresh state."""
    assert AlertState.from_dict({}) == AlertState()


def test_from_dict_ignores_unknown_keys() -> None:
    """Extra keys from a newer version are dropped."""
    assert AlertState.from_dict({"future": 1, "muted": True}) == AlertState(muted=True)


def test_from_dict_accepts_integer_times() -> None:
    """Whole-second times stored as ints come back as floats."""
    restored = AlertState.from_dict({"alerted_at": 1_700_000_000})
    assert restored.alerted_at == 1_700_000_000.0
    assert type(restored.alerted_at) is float


@pytest.mark.parametrize(
    "bad_time",
    [
        "1700000000",
        True,
        False,
        float("nan"),
        float("inf"),
        float("-inf"),
        10**400,
        [T0],
        {"t": T0},
    ],
)
def test_from_dict_bad_times_become_none(bad_time: object) -> None:
    """Times that are not finite numbers are treated as unset."""
    data = {
        "alerted_at": bad_time,
        "alert_acknowledged_at": bad_time,
        "paused_at": bad_time,
    }
    assert AlertState.from_dict(data) == AlertState()


@pytest.mark.parametrize(
    "bad_feedback", ["", "NOT_A_FAILURE", "maybe", 1, None, ["failed"], {"a": 1}]
)
def test_from_dict_bad_feedback_becomes_none(bad_feedback: object) -> None:
    """Feedback must be one of the exact enum values."""
    assert AlertState.from_dict({"feedback": bad_feedback}).feedback is None


@pytest.mark.parametrize("bad_flag", ["true", 1, 0.0, None, [True]])
def test_from_dict_bad_flags_become_false(bad_flag: object) -> None:
    """Only real booleans set muted or failure."""
    restored = AlertState.from_dict({"muted": bad_flag, "failure": bad_flag})
    assert restored.muted is False
    assert restored.failure is False


@pytest.mark.parametrize(
    ("ewm_mean", "short_mean", "sensitivity", "level"),
    [
        # With a long mean of 0.1: the rise over it, times the sensitivity, is
        # compared with 0.38 and 0.78 (and 3.8 times the short-term rise); the
        # pause level divides it by 1.75 first.
        (0.1, 0.15, 1.0, Level.SAFE),  # no rise
        (0.4, 0.15, 1.0, Level.SAFE),  # 0.3: under 0.38
        (0.6, 0.15, 1.0, Level.WARNING),  # 0.5 alerts; 0.29 does not pause
        (1.0, 0.15, 1.0, Level.FAILURE),  # 0.9; 0.51 pauses
        (0.6, 0.15, 0.5, Level.SAFE),  # a low sensitivity halves the rise
        (0.6, 0.15, 2.0, Level.FAILURE),  # a high one doubles it: 1.0; 0.57
        (0.6, 0.25, 1.0, Level.SAFE),  # 0.5 is under 3.8 x 0.15 = 0.57
    ],
)
def test_level_is_obicos_verdict(
    ewm_mean: float, short_mean: float, sensitivity: float, level: Level
) -> None:
    """The pause level wins over the alert level, which wins over safe."""
    state = PredictionState(
        current_frame_num=100,
        lifetime_frame_num=1000,
        current_p=ewm_mean,
        ewm_mean=ewm_mean,
        rolling_mean_short=short_mean,
        rolling_mean_long=0.1,
    )
    assert level_of(state, sensitivity) is level
    assert (level is Level.FAILURE) == should_pause(state, sensitivity)
    assert (level is Level.WARNING) == (
        should_alert(state, sensitivity) and not should_pause(state, sensitivity)
    )


def test_level_is_safe_while_warming_up() -> None:
    """Before frame 30 nothing is judged, however high the score."""
    state = PredictionState(current_frame_num=29, ewm_mean=5.0)
    assert level_of(state, 2.0) is Level.SAFE


# --- alert_event -------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_no_event_without_a_warning_or_a_new_failure(action: Action) -> None:
    """A quiet frame, or a failure already reported, fires nothing."""
    assert alert_event(NOTHING, action) is None
    repeated = Decision(notice=Notice.FAILURE_NOT_PAUSED)
    assert alert_event(repeated, action) is None


@pytest.mark.parametrize("action", list(Action))
def test_a_warning_fires_a_warning_that_only_notified(action: Action) -> None:
    """Whatever the printer's action, a warning is only ever told."""
    warning = Decision(notice=Notice.WARNING)
    assert alert_event(warning, action) == AlertEvent(Level.WARNING, Action.NOTIFY)


@pytest.mark.parametrize("action", PAUSING_ACTIONS)
def test_the_pause_fires_a_failure_with_the_printers_action(action: Action) -> None:
    """Paused, or paused with the power to follow."""
    assert alert_event(PAUSED_NOW, action) == AlertEvent(Level.FAILURE, action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(
    "decision",
    [
        Decision(notice=Notice.FAILURE_NOT_PAUSED, failure_started=True),
        Decision(failure_started=True),
    ],
    ids=["told", "suppressed"],
)
def test_a_failure_not_paused_fires_a_failure_that_only_notified(
    decision: Decision, action: Action
) -> None:
    """Not paused (notify only, or paused once already): told, whether or not sent."""
    assert alert_event(decision, action) == AlertEvent(Level.FAILURE, Action.NOTIFY)
