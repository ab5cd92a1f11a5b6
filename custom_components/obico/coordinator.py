"""One coordinator per printer: the detection loop, and what follows from each frame.

The loop runs on its own timer while the printer prints: one frame at a time,
each `interval` after the previous one ended, less often while the camera or
the ML server fails. Its results are pushed to the entities. Nothing else feeds
Obico's math, which is tuned for one frame every 10 s: an entity refresh only
re-reads the state, and `analyze_now` never counts.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .actions import PrinterActions
from .alerts import (
    Action,
    AlertState,
    Decision,
    Feedback,
    Level,
    Notice,
    Phase,
    acknowledge,
    evaluate,
    mute,
)
from .api import Detection, ObicoAuthError, ObicoError, ObicoFrameError, ObicoMlClient
from .const import (
    DOMAIN,
    EVENT_FAILURE_DETECTED,
    EVENT_WARNING,
    LOGGER,
    MAX_BACKOFF,
    DetectionState,
    unique_id,
)
from .data import ObicoConfigEntry, PrinterSnapshot
from .frames import FrameStore, redact_frame_urls
from .persistence import PrinterStore, StoredPrinter
from .prediction import (
    INIT_SAFE_FRAME_NUM,
    PredictionState,
    normalized_p,
    should_alert,
    should_pause,
    update,
)
from .print_tracking import PrintTracker
from .round_trip import CaptureError, async_analyze, async_capture
from .settings import printer_settings


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
        self.subentry_id = subentry.subentry_id
        self.settings = printer_settings(subentry)
        self.client = client
        self.frames = frames
        self.prediction = PredictionState()
        self.alerts = AlertState()
        self.enabled = True
        self.last_analysis: datetime | None = None
        self.detections: tuple[Detection, ...] = ()
        self.faults = FaultLog(self.settings.name)
        self.tracker = PrintTracker(
            hass,
            self.settings,
            on_new_print=self._start_new_print,
            on_change=self._print_changed,
        )
        self.store = PrinterStore(hass, self.subentry_id, self._stored)
        self.actions = PrinterActions(
            hass, entry, self.settings, self.subentry_id, save=self.store.async_save_now
        )
        self._print_generation = 0
        self._next_frame: CALLBACK_TYPE | None = None
        self._frame_in_flight = False
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Obico {self.settings.name}",
            update_interval=None,
            always_update=False,
        )

    async def async_initialize(self) -> None:
        """Restore the saved state, resume pending work and follow the printer."""
        if stored := await self.store.async_load():
            self._restore(stored)
        self.data = self._snapshot()
        self.config_entry.async_on_unload(self.tracker.async_start())
        self.actions.async_resume()
        # Just after a start, the camera's integration may still be loading.
        if self._watching() and self._next_frame is None:
            self._schedule_frame(self.settings.interval)

    async def async_shutdown(self) -> None:
        """Stop the loop and write the state out, on unload and on stop."""
        await super().async_shutdown()
        self._cancel_frame()
        await self.store.async_save_now()

    async def _async_update_data(self) -> PrinterSnapshot:
        """An entity refresh: the state as it is, without analyzing a frame."""
        return self._snapshot()

    # The detection loop

    def _watching(self) -> bool:
        return (
            self.enabled
            and self.tracker.phase is Phase.PRINTING
            and not self.alerts.muted
        )

    @callback
    def _follow_watching(self) -> None:
        """Start the loop when watching begins; stop it when watching ends."""
        if not self._watching():
            self._cancel_frame()
        elif self._next_frame is None and not self._frame_in_flight:
            self._frame_due()

    @callback
    def _schedule_frame(self, delay: float) -> None:
        self._cancel_frame()
        self._next_frame = async_call_later(
            self.hass, delay, HassJob(self._frame_due, cancel_on_shutdown=True)
        )

    @callback
    def _cancel_frame(self) -> None:
        if self._next_frame is not None:
            self._next_frame()
            self._next_frame = None

    @callback
    def _frame_due(self, _: datetime | None = None) -> None:
        self._next_frame = None
        self._frame_in_flight = True
        self.config_entry.async_create_background_task(
            self.hass, self._async_frame(), f"obico frame {self.subentry_id}"
        )

    async def _async_frame(self) -> None:
        try:
            await self._async_analyze_frame()
        except Exception:  # noqa: BLE001 - the loop must outlive any bug of ours
            # Not the camera's or the ML server's fault: those are caught
            # below. Say so with the traceback, and go on.
            LOGGER.exception(
                "%s: unexpected error analyzing a frame", self.settings.name
            )
        finally:
            self._frame_in_flight = False
        if self._watching() and self._next_frame is None:
            self._schedule_frame(self.faults.next_delay(self.settings.interval))
        self._publish()

    async def _async_analyze_frame(self) -> None:
        generation = self._print_generation
        try:
            detections = await self.async_analyze_now()
        except CaptureError as err:
            self.faults.began(DetectionState.CAMERA_UNAVAILABLE, err)
            return
        except ObicoError as err:
            self.faults.began(DetectionState.ML_UNAVAILABLE, err)
            if isinstance(err, ObicoAuthError):
                self.config_entry.async_start_reauth(self.hass)
            return
        self.faults.cleared()
        # The printer may have paused or moved on to a new print while the ML
        # server was busy; this frame then no longer speaks for what is printing.
        if generation == self._print_generation and self._watching():
            await self._async_apply(detections)

    async def async_analyze_now(self) -> list[Detection]:
        """Analyze a frame of the printer's camera; nothing else happens with it."""
        frame = await async_capture(self.hass, self.settings.frame_entity)
        return await async_analyze(
            self.hass, self.client, self.frames, self._frame_base_url(), frame
        )

    def _frame_base_url(self) -> str:
        """Where the ML server reaches Home Assistant."""
        if ha_url := self.config_entry.runtime_data.ha_url:
            return ha_url
        try:
            return get_url(
                self.hass, allow_internal=True, prefer_external=False, allow_ip=True
            )
        except NoURLAvailableError as err:
            raise ObicoFrameError(
                "Home Assistant has no URL the ML server could use; set one on the server entry"
            ) from err

    async def _async_apply(self, detections: list[Detection]) -> None:
        update(self.prediction, detections)
        self.last_analysis = dt_util.utcnow()
        self.detections = tuple(detections)
        decision = evaluate(
            self.alerts,
            self.level(),
            self.settings.action,
            self.last_analysis.timestamp(),
        )
        if decision == Decision():
            self.store.save_soon()
            return
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
        if decision.failure_started:
            self._fire(EVENT_FAILURE_DETECTED, risk, decision)
        if decision.notice is Notice.WARNING:
            self._fire(EVENT_WARNING, risk, decision)

    def level(self) -> Level:
        """Obico's verdict on the current print."""
        if should_pause(self.prediction, self.settings.sensitivity):
            return Level.FAILURE
        if should_alert(self.prediction, self.settings.sensitivity):
            return Level.WARNING
        return Level.SAFE

    def risk(self) -> float:
        """The failure risk gauge, in percent."""
        return round(normalized_p(self.prediction, self.settings.sensitivity) * 100, 2)

    # The print, and commands from services and buttons

    @callback
    def _start_new_print(self) -> None:
        self.prediction.reset_for_new_print()
        self.alerts.reset_for_new_print()
        # Nothing decided for the old print may act on the new one.
        self.actions.cancel_pending_work()
        self.detections = ()
        self._print_generation += 1
        # At once: after a crash, the old print's pause or power-off must not
        # come back to act on this one.
        self.config_entry.async_create_background_task(
            self.hass, self.store.async_save_now(), f"obico save {self.subentry_id}"
        )

    @callback
    def _print_changed(self) -> None:
        self.store.save_soon()
        self._follow_watching()
        self._publish()

    async def async_acknowledge(self, feedback: Feedback) -> None:
        """Record the user's answer to the last alert."""
        acknowledge(self.alerts, feedback, dt_util.utcnow().timestamp())
        if feedback is Feedback.NOT_A_FAILURE:
            self.actions.cancel_pending_work()
        await self._async_command_done()

    async def async_mute(self) -> None:
        """Stop watching until the next print."""
        mute(self.alerts)
        await self._async_command_done()

    async def async_set_enabled(self, enabled: bool) -> None:
        """Switch watching this printer on or off."""
        self.enabled = enabled
        await self._async_command_done()

    async def _async_command_done(self) -> None:
        await self.store.async_save_now()
        self._follow_watching()
        self._publish()

    # Presentation

    @callback
    def _publish(self) -> None:
        self.async_set_updated_data(self._snapshot())

    def _snapshot(self) -> PrinterSnapshot:
        return PrinterSnapshot(
            detection_state=self.detection_state(),
            enabled=self.enabled,
            failure=self.alerts.failure,
            risk=self.risk(),
            current_p=self.prediction.current_p,
            ewm_mean=self.prediction.ewm_mean,
            frames_analyzed=self.prediction.current_frame_num,
            last_analysis=self.last_analysis,
            detections=self.detections,
        )

    def detection_state(self) -> DetectionState:
        """What the detector is doing right now."""
        if not self.enabled:
            return DetectionState.DISABLED
        if self.tracker.phase is Phase.PAUSED:
            return DetectionState.PAUSED
        if self.tracker.phase is not Phase.PRINTING:
            return DetectionState.IDLE
        if self.alerts.muted:
            return DetectionState.MUTED
        if self.faults.state is not None:
            return self.faults.state
        if self.prediction.current_frame_num < INIT_SAFE_FRAME_NUM:
            return DetectionState.WARMING_UP
        return DetectionState(self.level().value)

    def device_id(self) -> str | None:
        """The device registry id of this printer."""
        # Looked up among the entry's own devices: identifiers are unique per
        # config entry only, and Home Assistant 2026.10 deprecates the global
        # async_get_device for that reason.
        identifier = (DOMAIN, self.subentry_id)
        devices = dr.async_entries_for_config_entry(
            dr.async_get(self.hass), self.config_entry.entry_id
        )
        return next(
            (device.id for device in devices if identifier in device.identifiers),
            None,
        )

    def _fire(self, event_type: str, risk: float, decision: Decision) -> None:
        action = self.settings.action if decision.pause else Action.NOTIFY
        self.hass.bus.async_fire(
            event_type,
            {
                "device_id": self.device_id(),
                "printer": self.settings.name,
                "camera_entity_id": self.settings.frame_entity,
                "print_state_entity_id": self.settings.print_state_entity,
                "failure_entity_id": er.async_get(self.hass).async_get_entity_id(
                    "binary_sensor", DOMAIN, unique_id(self.subentry_id, "failure")
                ),
                "risk": risk,
                "action": action.value,
            },
        )

    # Persistence

    def _stored(self) -> StoredPrinter:
        return StoredPrinter(
            prediction=self.prediction,
            alerts=self.alerts,
            phase=self.tracker.phase,
            job=self.tracker.job,
            enabled=self.enabled,
            pending=self.actions.pending,
        )

    def _restore(self, stored: StoredPrinter) -> None:
        self.prediction = stored.prediction
        self.alerts = stored.alerts
        self.tracker.restore(stored.phase, stored.job)
        self.enabled = stored.enabled
        self.actions.pending = stored.pending


class FaultLog:
    """The fault the detector is in, said once when it begins and once when it ends."""

    def __init__(self, printer_name: str) -> None:
        """Start without a fault."""
        self._printer_name = printer_name
        self.state: DetectionState | None = None
        self._in_a_row = 0

    def began(self, state: DetectionState, err: Exception) -> None:
        """A frame failed with ``state``."""
        self._in_a_row += 1
        if state is not self.state:
            LOGGER.warning(
                "%s: %s (%s); retrying less often until it works again",
                self._printer_name,
                _FAULTS[state],
                redact_frame_urls(str(err)),
            )
        self.state = state

    def cleared(self) -> None:
        """A frame went through."""
        if self.state is not None:
            LOGGER.info("%s: analyzing frames again", self._printer_name)
        self.state = None
        self._in_a_row = 0

    def next_delay(self, interval: int) -> int:
        """The interval, doubled for each failure in a row, up to MAX_BACKOFF."""
        if not self._in_a_row:
            return interval
        return min(interval << self._in_a_row, MAX_BACKOFF)


_FAULTS = {
    DetectionState.CAMERA_UNAVAILABLE: "could not get a frame from the camera",
    DetectionState.ML_UNAVAILABLE: "the Obico ML server failed",
}
