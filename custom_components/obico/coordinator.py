"""One coordinator per printer: capture, analyse, decide and act."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components import camera, image
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
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
    classify_phase,
    evaluate,
    mute,
    starts_new_print,
)
from .api import Detection, ObicoAuthError, ObicoError, ObicoFrameError, ObicoMlClient
from .const import (
    CAMERA_TIMEOUT,
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_INTERVAL,
    CONF_JOB_ENTITY,
    CONF_NOTIFY_TARGET,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_POWER_OFF_DELAY,
    CONF_POWER_SWITCH,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    DEFAULT_INTERVAL,
    DEFAULT_POWER_OFF_DELAY,
    DEFAULT_SENSITIVITY,
    DOMAIN,
    EVENT_FAILURE_DETECTED,
    EVENT_WARNING,
    LOGGER,
    MAX_BACKOFF,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
    DetectionState,
)
from .frames import FrameStore, frame_path, redact_frame_urls
from .prediction import (
    INIT_SAFE_FRAME_NUM,
    PredictionState,
    normalized_p,
    should_alert,
    should_pause,
    update,
)

_TRANSIENT_STATES = {STATE_UNAVAILABLE, STATE_UNKNOWN}


@dataclass(kw_only=True)
class ObicoRuntimeData:
    """What a loaded server entry holds while it runs."""

    client: ObicoMlClient
    frames: FrameStore
    ha_url: str | None
    printers: dict[str, PrinterCoordinator]


type ObicoConfigEntry = ConfigEntry[ObicoRuntimeData]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterConfig:
    """A printer subentry's settings, typed."""

    name: str
    frame_entity: str
    print_state_entity: str
    printing_states: tuple[str, ...]
    paused_states: tuple[str, ...]
    pause_entity: str | None
    power_switch: str | None
    power_off_delay: int
    job_entity: str | None
    action: Action
    sensitivity: float
    interval: int
    notify_target: str | None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> PrinterConfig:
        """Read the settings of a printer subentry."""
        data: Mapping[str, Any] = subentry.data
        return cls(
            name=subentry.title,
            frame_entity=data[CONF_FRAME_ENTITY],
            print_state_entity=data[CONF_PRINT_STATE_ENTITY],
            printing_states=tuple(data[CONF_PRINTING_STATES]),
            paused_states=tuple(data.get(CONF_PAUSED_STATES, ())),
            pause_entity=data.get(CONF_PAUSE_ENTITY),
            power_switch=data.get(CONF_POWER_SWITCH),
            power_off_delay=int(
                data.get(CONF_POWER_OFF_DELAY, DEFAULT_POWER_OFF_DELAY)
            ),
            job_entity=data.get(CONF_JOB_ENTITY),
            action=Action(data[CONF_ACTION]),
            sensitivity=float(data.get(CONF_SENSITIVITY, DEFAULT_SENSITIVITY)),
            interval=int(data.get(CONF_INTERVAL, DEFAULT_INTERVAL)),
            notify_target=data.get(CONF_NOTIFY_TARGET),
        )

    def phase_of(self, value: str | None) -> Phase | None:
        """Classify a print-state value; None while it is unknown or unavailable."""
        return classify_phase(value, self.printing_states, self.paused_states)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterSnapshot:
    """What the entities show for one printer."""

    detection_state: DetectionState
    enabled: bool
    failure: bool
    risk: float
    current_p: float
    ewm_mean: float
    frames_analyzed: int
    last_detection: datetime | None
    detections: tuple[Detection, ...]


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
        self.printer = PrinterConfig.from_subentry(subentry)
        self.client = client
        self.frames = frames
        self.prediction = PredictionState()
        self.alerts = AlertState()
        self.phase: Phase | None = None
        self.job: str | None = None
        self.enabled = True
        self.last_detection: datetime | None = None
        self.detections: tuple[Detection, ...] = ()
        self._fault: DetectionState | None = None
        self._ml_failures = 0
        self._print_generation = 0
        self._unsubscribers: list[CALLBACK_TYPE] = []
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(subentry.subentry_id)
        )
        self.actions = PrinterActions(hass, entry, self.printer, subentry.subentry_id)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Obico {self.printer.name}",
            update_interval=timedelta(seconds=self.printer.interval),
            always_update=False,
        )

    # Life cycle

    async def async_initialize(self) -> None:
        """Restore the persisted state and start following the printer."""
        if stored := await self._store.async_load():
            self._restore(stored)
        self._unsubscribers.append(
            async_track_state_change_event(
                self.hass,
                self.printer.print_state_entity,
                self._async_print_state_changed,
            )
        )
        if self.printer.job_entity:
            self._unsubscribers.append(
                async_track_state_change_event(
                    self.hass, self.printer.job_entity, self._async_job_changed
                )
            )
        self._follow_print_state(self._current_value(self.printer.print_state_entity))
        self._follow_job(self._current_value(self.printer.job_entity))
        self.data = self._snapshot()
        # Detection must run even when every entity of the printer is disabled,
        # and the coordinator only polls while it has listeners.
        self._unsubscribers.append(self.async_add_listener(lambda: None))

    async def async_shutdown(self) -> None:
        """Stop polling and write the state out before the entry unloads."""
        await super().async_shutdown()
        while self._unsubscribers:
            self._unsubscribers.pop()()
        await self._async_save_now()

    async def async_remove_store(self) -> None:
        """Forget this printer's persisted state."""
        await self._store.async_remove()

    # Print tracking

    @callback
    def _async_print_state_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if self._follow_print_state(new_state.state if new_state else None):
            self.async_set_updated_data(self._snapshot())
            if self.phase is Phase.PRINTING:
                self.config_entry.async_create_task(
                    self.hass, self.async_request_refresh(), "obico first frame"
                )

    @callback
    def _async_job_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if self._follow_job(new_state.state if new_state else None):
            self.async_set_updated_data(self._snapshot())

    def _follow_print_state(self, value: str | None) -> bool:
        """Track the printer's phase; True when it changed."""
        phase = self.printer.phase_of(value)
        if phase is None or phase is self.phase:
            return False
        if starts_new_print(self.phase, phase):
            self._start_new_print()
        self.phase = phase
        self._save_soon()
        return True

    def _follow_job(self, value: str | None) -> bool:
        """Start a new print when the job changes mid-print; True when it did."""
        if not value or value in _TRANSIENT_STATES or value == self.job:
            return False
        previous, self.job = self.job, value
        self._save_soon()
        if previous is None or self.phase not in (Phase.PRINTING, Phase.PAUSED):
            return False
        self._start_new_print()
        return True

    def _start_new_print(self) -> None:
        LOGGER.debug("%s: a new print started", self.printer.name)
        self.prediction.reset_for_new_print()
        self.alerts.reset_for_new_print()
        self.actions.cancel_pending()
        self._fault = None
        self.detections = ()
        self._print_generation += 1

    def _current_value(self, entity_id: str | None) -> str | None:
        if entity_id is None or (state := self.hass.states.get(entity_id)) is None:
            return None
        return state.state

    # Analysis

    async def _async_update_data(self) -> PrinterSnapshot:
        """Analyse one frame while the printer prints."""
        if self._watching():
            await self._async_analyse_frame()
        return self._snapshot()

    def _watching(self) -> bool:
        return self.enabled and self.phase is Phase.PRINTING and not self.alerts.muted

    async def _async_analyse_frame(self) -> None:
        generation = self._print_generation
        try:
            content, content_type = await self._async_capture()
        except HomeAssistantError as err:
            self._report_camera_failure(err)
            return
        try:
            detections = await self._async_detect(content, content_type)
        except ObicoError as err:
            self._report_ml_failure(err)
            return
        self._report_ml_recovered()
        # The printer may have paused or moved on to a new print while the ML
        # server was busy; this frame then no longer speaks for what is printing.
        if generation == self._print_generation and self._watching():
            await self._async_apply(detections)

    async def _async_capture(self) -> tuple[bytes, str]:
        entity_id = self.printer.frame_entity
        if entity_id.startswith("image."):
            frame = await image.async_get_image(self.hass, entity_id, CAMERA_TIMEOUT)
            return frame.content, frame.content_type
        snapshot = await camera.async_get_image(self.hass, entity_id, CAMERA_TIMEOUT)
        return snapshot.content, snapshot.content_type

    async def _async_detect(self, content: bytes, content_type: str) -> list[Detection]:
        base_url = self.frame_base_url()
        nonces: list[str] = []

        def stash() -> str:
            nonces.append(self.frames.stash(content, content_type))
            return base_url + frame_path(nonces[-1])

        try:
            detections = await self.client.detect(stash)
        finally:
            never_fetched = bool(nonces) and self.frames.discard(nonces[-1])
        if never_fetched:
            # Servers built before 2024 answer [] without saying that they could
            # not fetch the frame; an unfetched frame proves it.
            raise ObicoFrameError("the ML server answered without fetching the frame")
        return detections

    def frame_base_url(self) -> str:
        """Where the ML server reaches Home Assistant."""
        if self.config_entry.runtime_data.ha_url:
            return self.config_entry.runtime_data.ha_url
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
        self.last_detection = dt_util.utcnow()
        self.detections = tuple(detections)
        decision = evaluate(
            self.alerts,
            self.level(),
            self.printer.action,
            self.last_detection.timestamp(),
        )
        if decision == Decision():
            self._save_soon()
            return
        # Record before acting, so that a restart never repeats the pause.
        await self._async_save_now()
        self._carry_out(decision)

    def level(self) -> Level:
        """Obico's verdict on the current print."""
        sensitivity = self.printer.sensitivity
        if should_pause(self.prediction, sensitivity):
            return Level.FAILURE
        if should_alert(self.prediction, sensitivity):
            return Level.WARNING
        return Level.SAFE

    def risk(self) -> float:
        """The failure risk gauge, in percent."""
        return round(normalized_p(self.prediction, self.printer.sensitivity) * 100, 2)

    def _carry_out(self, decision: Decision) -> None:
        risk = self.risk()
        if decision.pause:
            self.actions.start_pause(
                with_power_off=self.printer.action is Action.PAUSE_AND_OFF
            )
        if decision.failure_started:
            self._fire(EVENT_FAILURE_DETECTED, risk, decision)
        if decision.notice is Notice.WARNING:
            self._fire(EVENT_WARNING, risk, decision)
        if decision.notice is not None:
            self.actions.start_notify(decision.notice, risk)

    def _fire(self, event_type: str, risk: float, decision: Decision) -> None:
        self.hass.bus.async_fire(
            event_type,
            {
                "device_id": self.device_id(),
                "printer": self.printer.name,
                "camera_entity_id": self.printer.frame_entity,
                "print_state_entity_id": self.printer.print_state_entity,
                "failure_entity_id": self.entity_id_of("binary_sensor", "failure"),
                "risk": risk,
                "action": _action_taken(decision, self.printer.action),
            },
        )

    # Faults

    def _report_camera_failure(self, err: HomeAssistantError) -> None:
        if self._fault is not DetectionState.CAMERA_UNAVAILABLE:
            LOGGER.warning(
                "%s: could not get a frame from %s, skipping: %s",
                self.printer.name,
                self.printer.frame_entity,
                err,
            )
        self._fault = DetectionState.CAMERA_UNAVAILABLE

    def _report_ml_failure(self, err: ObicoError) -> None:
        self._ml_failures += 1
        backoff = min(self.printer.interval * 2**self._ml_failures, MAX_BACKOFF)
        self.update_interval = timedelta(seconds=backoff)
        if self._fault is not DetectionState.ML_UNAVAILABLE:
            LOGGER.warning(
                "%s: the Obico ML server failed (%s); retrying in %s s",
                self.printer.name,
                redact_frame_urls(str(err)),
                backoff,
            )
        self._fault = DetectionState.ML_UNAVAILABLE
        if isinstance(err, ObicoAuthError):
            self.config_entry.async_start_reauth(self.hass)

    def _report_ml_recovered(self) -> None:
        if self._fault is not None:
            LOGGER.info("%s: analysing frames again", self.printer.name)
        self._fault = None
        self._ml_failures = 0
        self.update_interval = timedelta(seconds=self.printer.interval)

    # Commands from services and buttons

    async def async_acknowledge(self, feedback: Feedback) -> None:
        """Record the user's answer to the last alert."""
        acknowledge(self.alerts, feedback, dt_util.utcnow().timestamp())
        if feedback is Feedback.NOT_A_FAILURE:
            self.actions.cancel_pending()
        await self._async_save_now()
        self.async_set_updated_data(self._snapshot())

    async def async_mute(self) -> None:
        """Stop watching until the next print."""
        mute(self.alerts)
        await self._async_save_now()
        self.async_set_updated_data(self._snapshot())

    async def async_set_enabled(self, enabled: bool) -> None:
        """Switch watching this printer on or off."""
        self.enabled = enabled
        await self._async_save_now()
        self.async_set_updated_data(self._snapshot())

    async def async_analyze_now(self) -> list[Detection]:
        """Analyse one frame now, without feeding it to the print's statistics."""
        content, content_type = await self._async_capture()
        return await self._async_detect(content, content_type)

    # Presentation

    def _snapshot(self) -> PrinterSnapshot:
        return PrinterSnapshot(
            detection_state=self.detection_state(),
            enabled=self.enabled,
            failure=self.alerts.failure,
            risk=self.risk(),
            current_p=self.prediction.current_p,
            ewm_mean=self.prediction.ewm_mean,
            frames_analyzed=self.prediction.current_frame_num,
            last_detection=self.last_detection,
            detections=self.detections,
        )

    def detection_state(self) -> DetectionState:
        """What the detector is doing right now."""
        if not self.enabled:
            return DetectionState.DISABLED
        if self.phase is Phase.PAUSED:
            return DetectionState.PAUSED
        if self.phase is not Phase.PRINTING:
            return DetectionState.IDLE
        if self.alerts.muted:
            return DetectionState.MUTED
        if self._fault is not None:
            return self._fault
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

    def entity_id_of(self, platform: str, key: str) -> str | None:
        """The entity id of one of this printer's entities."""
        return er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{self.subentry_id}_{key}"
        )

    # Persistence

    def _stored(self) -> dict[str, Any]:
        return {
            "prediction": self.prediction.to_dict(),
            "alerts": self.alerts.to_dict(),
            "phase": self.phase.value if self.phase else None,
            "job": self.job,
            "enabled": self.enabled,
        }

    def _restore(self, stored: Mapping[str, Any]) -> None:
        self.prediction = PredictionState.from_dict(stored.get("prediction") or {})
        self.alerts = AlertState.from_dict(stored.get("alerts") or {})
        phase = stored.get("phase")
        self.phase = Phase(phase) if phase in set(Phase) else None
        job = stored.get("job")
        self.job = job if isinstance(job, str) else None
        self.enabled = stored.get("enabled") is not False

    def _save_soon(self) -> None:
        self._store.async_delay_save(self._stored, STORAGE_SAVE_DELAY)

    async def _async_save_now(self) -> None:
        await self._store.async_save(self._stored())


def storage_key(subentry_id: str) -> str:
    """The storage key of a printer's persisted state."""
    return f"{DOMAIN}.printer.{subentry_id}"


def _action_taken(decision: Decision, action: Action) -> str:
    if decision.pause:
        return "pause_and_off" if action is Action.PAUSE_AND_OFF else "pause"
    return "notify"
