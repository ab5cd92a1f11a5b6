"""Home Assistant's own HTTP server on a real loopback port, on every release we test.

Two things changed between the oldest and the newest Home Assistant we test:

- Newer test plugins replace ``HomeAssistantHTTP.async_bind`` and ``start``
  with stubs, so that no test binds a socket by accident. Our tests want the
  socket: the ML server fetches frames through it. The real methods are kept
  here, at import, before any test patches them, and used while it starts.
- From 2026.10 on, Home Assistant keeps its HTTP settings in storage. A YAML
  ``http:`` block is deprecated there: it is taken over as a *trial* that
  reverts, restarting Home Assistant, five minutes later, which a test that
  lets time pass would trip over. There the port is set as the settings page
  sets it, in the settings store; before, in YAML, as users did.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any
from unittest.mock import patch

from homeassistant.components.http import HomeAssistantHTTP
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

_REAL_METHODS: dict[str, Any] = {
    name: getattr(HomeAssistantHTTP, name)
    for name in ("async_bind", "start")
    if hasattr(HomeAssistantHTTP, name)
}
HTTP_SETTINGS_IN_STORAGE = find_spec("homeassistant.components.http.config") is not None


async def async_start_http(hass: HomeAssistant, port: int) -> None:
    """Set up the http component on 127.0.0.1:``port`` and start serving."""
    settings = {"server_host": ["127.0.0.1"], "server_port": port}
    with patch.multiple(HomeAssistantHTTP, **_REAL_METHODS):
        if HTTP_SETTINGS_IN_STORAGE:
            await _async_store_settings(hass, settings)
            assert await async_setup_component(hass, "http", {})
        else:
            assert await async_setup_component(hass, "http", {"http": settings})
        await hass.http.start()


async def async_resume_http(hass: HomeAssistant) -> None:
    """Serve again after ``hass.http.stop()``, on the same port.

    From 2026.10 on, stopping closes the bound socket, so it is bound anew.
    """
    with patch.multiple(HomeAssistantHTTP, **_REAL_METHODS):
        if "async_bind" in _REAL_METHODS:
            await hass.http.async_bind()
        await hass.http.start()


async def _async_store_settings(hass: HomeAssistant, settings: dict[str, Any]) -> None:
    """Make ``settings`` the confirmed HTTP settings, as the settings page does."""
    from homeassistant.components.http import config

    store = await config.async_get_and_load_store(hass)
    await store.async_set_pending(config.HTTP_STORAGE_SCHEMA(settings))
    await store.async_promote_pending()
    await store.async_mark_yaml_migration_done()
