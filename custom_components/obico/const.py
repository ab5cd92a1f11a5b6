"""Constants for the Obico Failure Detection integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "obico"
LOGGER = logging.getLogger(__package__)

SUBENTRY_PRINTER: Final = "printer"

# Server entry.
CONF_ML_URL: Final = "ml_url"
CONF_TOKEN: Final = "token"
CONF_HA_URL: Final = "ha_url"
CONF_MAX_CONCURRENT: Final = "max_concurrent"
DEFAULT_MAX_CONCURRENT: Final = 1
MAX_MAX_CONCURRENT: Final = 8

# Printer subentry.
CONF_PRESET: Final = "preset"
CONF_FRAME_ENTITY: Final = "frame_entity"
CONF_PRINT_STATE_ENTITY: Final = "print_state_entity"
CONF_PRINTING_STATES: Final = "printing_states"
CONF_PAUSED_STATES: Final = "paused_states"
CONF_PAUSE_ENTITY: Final = "pause_entity"
CONF_POWER_SWITCH: Final = "power_switch"
CONF_POWER_OFF_DELAY: Final = "power_off_delay"
CONF_JOB_ENTITY: Final = "job_entity"
CONF_ACTION: Final = "action"
CONF_SENSITIVITY: Final = "sensitivity"
CONF_INTERVAL: Final = "interval"
CONF_NOTIFY_TARGET: Final = "notify_target"

DEFAULT_SENSITIVITY: Final = 1.0
MIN_SENSITIVITY: Final = 0.5
MAX_SENSITIVITY: Final = 2.0
# Obico analyzes at most one frame every 10 s (MIN_DETECTION_INTERVAL): its
# smoothing windows are tuned for that rate, so it is also the shortest here.
DEFAULT_INTERVAL: Final = 10
MIN_INTERVAL: Final = 10
MAX_INTERVAL: Final = 600
DEFAULT_POWER_OFF_DELAY: Final = 120
MAX_POWER_OFF_DELAY: Final = 3600

# Capture and retry timing, in seconds.
CAMERA_TIMEOUT: Final = 10
MAX_BACKOFF: Final = 300
PAUSE_VERIFY_TIMEOUT: Final = 60
# How long a pause, power or notify action may take before it counts as failed.
ACTION_TIMEOUT: Final = 30

# The key of the image entity that shows the last analyzed frame.
KEY_LAST_FRAME: Final = "last_frame"


def unique_id(subentry_id: str, key: str) -> str:
    """The unique id of a printer's entity."""
    return f"{subentry_id}_{key}"


class DetectionState(StrEnum):
    """What a printer's detector is doing, as the detection_state sensor shows it."""

    IDLE = "idle"
    WARMING_UP = "warming_up"
    SAFE = "safe"
    WARNING = "warning"
    FAILURE = "failure"
    PAUSED = "paused"
    MUTED = "muted"
    DISABLED = "disabled"
    CAMERA_UNAVAILABLE = "camera_unavailable"
    ML_UNAVAILABLE = "ml_unavailable"
