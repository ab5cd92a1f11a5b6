"""One coordinator per printer: what follows from each analyzed frame.

The detection loop (detection_loop.py) analyzes frames on its own timer while
the printer prints; the coordinator feeds each result to Obico's math and alert
rules, has the actions carried out, and pushes a snapshot to the entities. It
never polls: an entity refresh only re-reads the state, and `analyze_now`
never counts, because Obico's math is tuned for one frame every 10 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .actions import PrinterActions
from .alerts import (
    Action,
    AlertEvent,
    Decision,
    Feedback,
    Level,
    Notice,
    Phase,
    alert_event,
)
from .api import Detection, ObicoMlClient
from .const import LOGGER, DetectionState
from .data import AnalyzedFrame, ObicoConfigEntry, PrinterSnapshot
from .detection_loop import DetectionLoop
from .frames import FrameStore
from .history import EventKind, Fact, History
from .issues import async_pause_issue_resolved
from .persistence import PrinterStore, StoredPrinter
from .print_tracking import PrintTracker
from .round_trip import Analysis, async_analyze, async_capture, frame_base_url
from .settings import async_keep_sensitivity, printer_settings
from .verdict import Verdict

type AlertListener = Callable[[AlertEvent, float], None]
"""Hears each alert event with the failure risk, in percent, that raised it."""


class PrinterCoordinator(DataUpdateCoordinator[PrinterSnapshot]):
    """Watches one printer while it prints."""

    config_entry: ObicoConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ObicoConfigEntry,
        subentry: ConfigSubentry,
        client: ObicoMlClient,
        frames: FrameStore,
    ) -> None:
        """Set up the coordinator of one printer subentry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Obico {subentry.title}",
            update_interval=None,
            always_update=False,
        )
        self.subentry_id = subentry.subentry_id
        self.settings = printer_settings(subentry)
        self.client = client
        self.frames = frames
        self.verdict = Verdict()
        self.enabled = True
        self.detections: tuple[Detection, ...] = ()
        # Only frames of the detection loop: the image entity shows what the
        # decision was made on. In memory only; a new print keeps showing it
        # until its first frame, so the end of a failed print stays visible.
        self.last_frame: AnalyzedFrame | None = None
        self.history = History()
        self._print_generation = 0
        self._alert_listeners: list[AlertListener] = []
        self.tracker = PrintTracker(
            hass,
            self.settings,
            on_new_print=self._start_new_print,
            on_change=self._changed,
        )
        self.store = PrinterStore(hass, self.subentry_id, self._stored)
        self.actions = PrinterActions(
            hass,
            entry,
            self.settings,
            self.subentry_id,
            save=self.store.async_save_now,
            record=self.record,
        )
        self.loop = DetectionLoop(
            hass,
            entry,
            self.settings,
            frame=self._async_frame,
            watching=self._watching,
            after_frame=self._publish,
            record=self.record,
        )

    async def async_initialize(self) -> None:
        """Restore the saved state, resume pending work and follow the printer."""
        if stored := await self.store.async_load():
            self._restore(stored)
        self.data = self._snapshot()
        self.config_entry.async_on_unload(self.tracker.async_start())
        self.actions.async_resume()
        # Just after a start, the camera's integration may still be loading.
        self.loop.follow_watching(first_frame_in=self.settings.interval)

    async def async_shutdown(self) -> None:
        """Stop the loop and write the state out, on unload and on stop."""
        await super().async_shutdown()
        self.loop.stop()
        await self.store.async_save_now()

    async def _async_update_data(self) -> PrinterSnapshot:
        """An entity refresh: the state as it is, without analyzing a frame."""
        return self._snapshot()

    # Frames

    def _watching(self) -> bool:
        return (
            self.enabled
            and self.tracker.phase is Phase.PRINTING
            and not self.verdict.alerts.muted
        )

    async def _async_frame(self) -> None:
        """One turn of the detection loop."""
        generation = self._print_generation
        analysis = await self._async_analyze()
        # The printer may have paused or moved on to a new print while the ML
        # server was busy; this frame then no longer speaks for what is printing.
        if generation == self._print_generation and self._watching():
            await self._async_apply(analysis)

    async def async_analyze_now(self) -> list[Detection]:
        """Analyze a frame of the printer's camera; nothing else happens with it."""
        return (await self._async_analyze()).detections

    async def _async_analyze(self) -> Analysis:
        frame = await async_capture(self.hass, self.settings.frame_entity)
        base_url = frame_base_url(self.hass, self.config_entry.runtime_data.ha_url)
        return await async_analyze(self.hass, self.client, self.frames, base_url, frame)

    async def _async_apply(self, analysis: Analysis) -> None:
        analyzed_at = dt_util.utcnow()
        self.detections = tuple(analysis.detections)
        decision = self.verdict.judge(
            self.detections,
            self.settings.sensitivity,
            self.settings.action,
            analyzed_at.timestamp(),
        )
        self.last_frame = AnalyzedFrame(
            frame=analysis.frame,
            detections=self.detections,
            level=self.level(),
            analyzed_at=analyzed_at,
        )
        if decision == Decision():
            self.store.save_soon()
            return
        self._record_decision(decision)
        # Written before it is acted on, so that a restart never repeats it.
        await self.store.async_save_now()
        risk = self.risk()
        if decision.pause:
            # Says itself what it asked for, then how it went.
            await self.actions.async_pause_for_failure(
                risk, with_power_off=self.settings.action is Action.PAUSE_AND_OFF
            )
        elif decision.notice is not None:
            self.actions.notify(decision.notice, risk)
        if (event := alert_event(decision, self.settings.action)) is not None:
            for listener in list(self._alert_listeners):
                listener(event, risk)

    @callback
    def async_add_alert_listener(self, listener: AlertListener) -> CALLBACK_TYPE:
        """Call ``listener`` on each alert event; returns what stops it."""
        self._alert_listeners.append(listener)
        return lambda: self._alert_listeners.remove(listener)

    @property
    def last_analysis(self) -> datetime | None:
        """When the detection loop last analyzed a frame; None before the first."""
        return None if self.last_frame is None else self.last_frame.analyzed_at

    def level(self) -> Level:
        """Obico's verdict on the current print."""
        return self.verdict.level(self.settings.sensitivity)

    def risk(self) -> float:
        """The failure risk gauge, in percent."""
        return self.verdict.risk(self.settings.sensitivity)

    # The print, and commands from services and entities

    @callback
    def _start_new_print(self) -> None:
        self.verdict.start_new_print()
        # Nothing decided for the old print may act on the new one.
        self.actions.cancel_pending_work()
        async_pause_issue_resolved(self.hass, self.subentry_id)
        self.detections = ()
        self._print_generation += 1
        # At once: after a crash, the old print's pause or power-off must not
        # come back to act on this one.
        self.config_entry.async_create_background_task(
            self.hass, self.store.async_save_now(), f"obico save {self.subentry_id}"
        )

    @callback
    def _changed(self) -> None:
        if self.tracker.phase is not Phase.PRINTING:
            # The printer stopped, however: a pause it ignored is over.
            async_pause_issue_resolved(self.hass, self.subentry_id)
        self.store.save_soon()
        self.loop.follow_watching()
        self._publish()

    async def async_acknowledge(self, feedback: Feedback) -> None:
        """Record the user's answer to the last alert."""
        self.verdict.acknowledge(feedback, dt_util.utcnow().timestamp())
        self.record(EventKind.ACKNOWLEDGED, feedback=feedback.value)
        async_pause_issue_resolved(self.hass, self.subentry_id)
        if feedback is Feedback.NOT_A_FAILURE:
            self.actions.cancel_pending_work()
        # However it came (the device, a service, a phone), it answers the
        # notification.
        self.actions.withdraw_notification()
        await self._async_command_done()

    async def async_mute(self) -> None:
        """Stop watching until the next print."""
        self.verdict.mute()
        self.record(EventKind.MUTED)
        self.actions.withdraw_notification()
        await self._async_command_done()

    async def async_set_enabled(self, enabled: bool) -> None:
        """Switch watching this printer on or off."""
        self.enabled = enabled
        await self._async_command_done()

    async def async_set_sensitivity(self, sensitivity: float) -> None:
        """Judge the print with another sensitivity, from the next frame on."""
        sensitivity = round(sensitivity, 2)
        # Only the coordinator reads the sensitivity: the tracker, the loop and
        # the actions keep the settings they were given. Set before the
        # subentry is written, so that the entry's update listener sees the
        # running printer already has it, and does not reload.
        self.settings = replace(self.settings, sensitivity=sensitivity)
        async_keep_sensitivity(
            self.hass, self.config_entry, self.subentry_id, sensitivity
        )
        self._publish()

    async def _async_command_done(self) -> None:
        await self.store.async_save_now()
        self._changed()

    # History

    def record(self, kind: EventKind, /, **facts: Fact) -> None:
        """Add an event to the printer's history; it is written with the state."""
        self.history.record(kind, dt_util.utcnow(), **facts)
        self.store.save_soon()

    def _record_decision(self, decision: Decision) -> None:
        """A notice, or a failure that began without one (held back, or notify only).

        Only a decision that does something comes here, and each one is either.
        """
        notice = decision.notice
        self.record(
            EventKind.WARNING if notice is Notice.WARNING else EventKind.FAILURE,
            risk=self.risk(),
            frame=self.verdict.prediction.current_frame_num,
            notice=None if notice is None else notice.value,
        )

    # What the entities show

    @callback
    def _publish(self) -> None:
        self.async_set_updated_data(self._snapshot())

    def _snapshot(self) -> PrinterSnapshot:
        return PrinterSnapshot(
            detection_state=self.detection_state(),
            enabled=self.enabled,
            failure=self.verdict.alerts.failure,
            risk=self.risk(),
            sensitivity=self.settings.sensitivity,
            current_p=self.verdict.prediction.current_p,
            ewm_mean=self.verdict.prediction.ewm_mean,
            frames_analyzed=self.verdict.prediction.current_frame_num,
            last_analysis=self.last_analysis,
            detections=self.detections,
            last_frame=self.last_frame,
        )

    def detection_state(self) -> DetectionState:
        """What the detector is doing right now."""
        return self.verdict.detection_state(
            self.settings.sensitivity,
            enabled=self.enabled,
            phase=self.tracker.phase,
            fault=self.loop.fault,
        )

    # What outlives a restart

    def _stored(self) -> StoredPrinter:
        return StoredPrinter(
            prediction=self.verdict.prediction,
            alerts=self.verdict.alerts,
            phase=self.tracker.phase,
            job=self.tracker.job,
            enabled=self.enabled,
            pending=self.actions.pending,
            history=self.history,
        )

    def _restore(self, stored: StoredPrinter) -> None:
        self.verdict = Verdict(stored.prediction, stored.alerts)
        self.tracker.restore(stored.phase, stored.job)
        self.enabled = stored.enabled
        self.actions.pending = stored.pending
        self.history = stored.history
