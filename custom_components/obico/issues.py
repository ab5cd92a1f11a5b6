"""Repair issues: raised while a problem the user must fix lasts, gone when it ends.

- ``ml_server_unavailable``, per server: no frame of a printing printer was
  analyzed for ML_UNAVAILABLE_AFTER seconds. Gone at the next analysis.
- ``frame_unreachable``, per server: the ML server failed to get the frame
  FRAME_ERRORS_IN_A_ROW times in a row, so it cannot reach Home Assistant at
  the URL it is given. Gone at the next analysis.
- ``pause_not_confirmed``, per printer: the printer went on printing after
  every pause attempt. Gone when a pause works, when the printer is seen not
  printing, and when the user answers the alert.

None is persistent: a restart starts afresh, and so does a reload, which may
well be the fix (a new URL, a new pause entity). Removing a server removes
its issues. ``frame_unreachable`` can be fixed in place: its flow, in
``repairs.py`` where Home Assistant looks for it, sets a URL the ML server
reaches. The others are fixed on the ML server or the printer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .api import ObicoAuthError, ObicoError, ObicoFrameError
from .const import CONF_ML_URL, DOMAIN, PAUSE_VERIFY_TIMEOUT
from .data import ObicoConfigEntry
from .frames import redact_frame_urls

ML_SERVER_UNAVAILABLE: Final = "ml_server_unavailable"
FRAME_UNREACHABLE: Final = "frame_unreachable"
PAUSE_NOT_CONFIRMED: Final = "pause_not_confirmed"

ISSUE_ENTRY_ID: Final = "entry_id"
"""The key, in a fixable issue's data, of the server entry it is about."""

ML_UNAVAILABLE_AFTER: Final = 600
"""Seconds of printing without an analysis before the ML server is reported."""
FRAME_ERRORS_IN_A_ROW: Final = 3
"""'Failed to get image' answers in a row before Home Assistant's URL is reported."""
TROUBLESHOOTING_URL: Final = (
    "https://github.com/obico-ha/obico-failure-detection#troubleshooting"
)


def issue_id(key: str, owner_id: str) -> str:
    """The id of an issue of a server entry or a printer subentry."""
    return f"{key}_{owner_id}"


class MlServerWatch:
    """Turns one printer's analyses into its server's repair issues.

    Fed by the printer's detection loop with each outcome. Only time spent
    printing counts towards ML_UNAVAILABLE_AFTER: a printer that stops during
    an outage starts counting afresh at the next print.
    """

    def __init__(
        self, hass: HomeAssistant, entry: ObicoConfigEntry, printer: str
    ) -> None:
        """Watch for ``printer``, a printer of ``entry``."""
        self._hass = hass
        self._entry = entry
        self._printer = printer
        self._failing_since: datetime | None = None
        self._frame_errors_in_a_row = 0

    @callback
    def analyzed(self) -> None:
        """A frame was analyzed: whatever was wrong with the ML server is over."""
        self._failing_since = None
        self._frame_errors_in_a_row = 0
        for key in (ML_SERVER_UNAVAILABLE, FRAME_UNREACHABLE):
            ir.async_delete_issue(
                self._hass, DOMAIN, issue_id(key, self._entry.entry_id)
            )

    @callback
    def failed(self, err: ObicoError) -> None:
        """The ML server gave no analysis of a frame."""
        now = dt_util.utcnow()
        if self._failing_since is None:
            self._failing_since = now
        if not isinstance(err, ObicoFrameError):
            self._frame_errors_in_a_row = 0
        else:
            self._frame_errors_in_a_row += 1
            if self._frame_errors_in_a_row >= FRAME_ERRORS_IN_A_ROW and (
                self._report_frame_unreachable(err)
            ):
                return  # the cause, said more precisely than "unavailable"
        if isinstance(err, ObicoAuthError):
            return  # the re-authentication flow asks for the token
        if (now - self._failing_since).total_seconds() >= ML_UNAVAILABLE_AFTER:
            self._report_unavailable(err)

    @callback
    def stopped_watching(self) -> None:
        """The printer stopped printing: the time without analyses stops counting."""
        self._failing_since = None

    def _report_frame_unreachable(self, err: ObicoFrameError) -> bool:
        """Show the URL the ML server was given; False if it was given none."""
        if err.frame_url is None:
            return False  # Home Assistant has no URL: the error says so itself
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(FRAME_UNREACHABLE, self._entry.entry_id),
            data={ISSUE_ENTRY_ID: self._entry.entry_id},
            is_fixable=True,
            learn_more_url=TROUBLESHOOTING_URL,
            severity=ir.IssueSeverity.ERROR,
            translation_key=FRAME_UNREACHABLE,
            translation_placeholders={
                "ml_url": self._entry.data[CONF_ML_URL],
                "frame_url": err.frame_url,
                "reason": err.reason,
                "count": str(FRAME_ERRORS_IN_A_ROW),
                "docs_url": TROUBLESHOOTING_URL,
            },
        )
        return True

    def _report_unavailable(self, err: ObicoError) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(ML_SERVER_UNAVAILABLE, self._entry.entry_id),
            is_fixable=False,
            learn_more_url=TROUBLESHOOTING_URL,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ML_SERVER_UNAVAILABLE,
            translation_placeholders={
                "ml_url": self._entry.data[CONF_ML_URL],
                "printer": self._printer,
                "minutes": str(ML_UNAVAILABLE_AFTER // 60),
                "error": redact_frame_urls(str(err)),
                "docs_url": TROUBLESHOOTING_URL,
            },
        )


@callback
def async_report_pause_not_confirmed(
    hass: HomeAssistant, subentry_id: str, printer: str, pause_entity: str
) -> None:
    """The printer went on printing after every press of ``pause_entity``."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(PAUSE_NOT_CONFIRMED, subentry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=PAUSE_NOT_CONFIRMED,
        translation_placeholders={
            "printer": printer,
            "pause_entity": pause_entity,
            "seconds": str(PAUSE_VERIFY_TIMEOUT),
        },
    )


@callback
def async_pause_issue_resolved(hass: HomeAssistant, subentry_id: str) -> None:
    """The printer paused or stopped, or the user answered: the issue is over."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(PAUSE_NOT_CONFIRMED, subentry_id))


@callback
def async_delete_issues(
    hass: HomeAssistant, entry_id: str, subentry_ids: Iterable[str]
) -> None:
    """Forget every issue of a server entry and of its printers."""
    for key in (ML_SERVER_UNAVAILABLE, FRAME_UNREACHABLE):
        ir.async_delete_issue(hass, DOMAIN, issue_id(key, entry_id))
    for subentry_id in subentry_ids:
        async_pause_issue_resolved(hass, subentry_id)
