"""The fix flow of the frame_unreachable repair: a URL the ML server can reach.

The ML server could not fetch frames at the Home Assistant URL it was given.
The flow asks for one it can reach, proves it with a test frame as the server
form does, and saves it on the server's entry, which reloads with it. The other
repairs are fixed on the ML server or the printer, and offer no flow.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .config_flow import URL_SELECTOR, ServerCheckError, async_check, normalized_ha_url
from .const import CONF_HA_URL, DOMAIN
from .issues import ISSUE_ENTRY_ID
from .validation import vol

# What a fix flow's steps return: a plain flow result up to the releases of
# the oldest leg, a typed one of its own on those of the newest (Python 3.14).
# As in validation.py, only the type checker sees the condition.
if TYPE_CHECKING and sys.version_info >= (3, 14):
    from homeassistant.components.repairs import RepairsFlowResult as FixFlowResult
else:
    from homeassistant.data_entry_flow import FlowResult as FixFlowResult

_HA_URL_SCHEMA = vol.Schema({vol.Optional(CONF_HA_URL): URL_SELECTOR})


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """The flow of frame_unreachable, the only repair of ours that has one."""
    return HaUrlFixFlow(str((data or {}).get(ISSUE_ENTRY_ID)))


class HaUrlFixFlow(RepairsFlow):
    """Sets the URL at which the ML server fetches frames from Home Assistant."""

    def __init__(self, entry_id: str) -> None:
        """Fix the server entry ``entry_id``."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> FixFlowResult:
        """Start with the URL form."""
        return await self.async_step_ha_url()

    async def async_step_ha_url(
        self, user_input: dict[str, Any] | None = None
    ) -> FixFlowResult:
        """Ask for the URL, and save it once a test frame went through."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        if entry is None or issue is None:
            # The server was removed, or frames got through meanwhile.
            return self.async_abort(reason="nothing_to_fix")
        errors: dict[str, str] = {}
        # What the issue said (the URLs, the reason), for the form's text.
        placeholders = dict(issue.translation_placeholders or {})
        if user_input is not None:
            data = {
                key: value for key, value in entry.data.items() if key != CONF_HA_URL
            }
            try:
                if ha_url := normalized_ha_url(user_input.get(CONF_HA_URL, "")):
                    data[CONF_HA_URL] = ha_url
                await async_check(self.hass, data)
            except ServerCheckError as err:
                errors["base"] = err.error
                placeholders |= err.placeholders
            else:
                # The entry reloads with it; the issue ends with this flow.
                self.hass.config_entries.async_update_entry(entry, data=data)
                return self.async_create_entry(data={})
        suggested = user_input or {CONF_HA_URL: entry.data.get(CONF_HA_URL, "")}
        return self.async_show_form(
            step_id="ha_url",
            data_schema=self.add_suggested_values_to_schema(_HA_URL_SCHEMA, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )
