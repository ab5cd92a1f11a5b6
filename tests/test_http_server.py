"""The tests' Home Assistant HTTP server is real, and stays so while time passes.

What tests/http_server.py works around, checked on whichever release runs: a
stubbed server that binds nothing, and, from 2026.10, the trial that a YAML
``http:`` block becomes, which reverts and restarts Home Assistant five minutes
later and raises a repair issue.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.http import HomeAssistantView
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from tests.http_server import async_resume_http


class ProbeView(HomeAssistantView):
    """A view that wants a logged-in user, as Home Assistant's own API does."""

    url = "/api/obico_test_probe"
    name = "api:obico_test_probe"

    async def get(self, request: web.Request) -> web.Response:
        """Never reached without a token."""
        return web.Response(text="ok")


async def status_of(url: str) -> int:
    """The status of a GET through a real socket."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


async def test_home_assistant_answers_on_a_real_port(
    hass: HomeAssistant, ha_url: str
) -> None:
    """A request crosses a real socket and reaches Home Assistant's views."""
    hass.http.register_view(ProbeView())
    assert await status_of(f"{ha_url}{ProbeView.url}") == 401  # asks for a token


async def test_time_passing_neither_restarts_nor_reports_the_http_settings(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_url: str
) -> None:
    """An hour later the server still answers, unrestarted and unreported."""
    service_calls = async_capture_events(hass, "call_service")
    for _ in range(12):
        freezer.tick(timedelta(minutes=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    hass.http.register_view(ProbeView())
    assert await status_of(f"{ha_url}{ProbeView.url}") == 401
    assert [call.data["service"] for call in service_calls] == []
    assert [
        issue_id for (domain, issue_id) in ir.async_get(hass).issues if domain == "http"
    ] == []


async def test_the_server_can_be_stopped_and_resumed(
    hass: HomeAssistant, ha_url: str
) -> None:
    """Tests of an unreachable Home Assistant take it off the network and back."""
    hass.http.register_view(ProbeView())
    await hass.http.stop()
    try:
        await status_of(f"{ha_url}{ProbeView.url}")
    except aiohttp.ClientConnectionError:
        pass
    else:
        raise AssertionError("still answering after stop")
    await async_resume_http(hass)
    assert await status_of(f"{ha_url}{ProbeView.url}") == 401
