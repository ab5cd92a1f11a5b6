"""Diagnostics: what a bug report carries, without the token or Home Assistant's URL."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.obico.const import (
    CONF_FRAME_ENTITY,
    CONF_ML_URL,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from tests.conftest import (
    INTERVAL,
    PRINTER_ID,
    SPAGHETTI,
    TOKEN,
    next_poll,
    printer_device,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer


def _assert_secrets_kept(diagnostics: dict[str, Any], ha_url: str) -> None:
    text = str(diagnostics)
    assert TOKEN not in text
    assert ha_url not in text
    assert diagnostics["server"]["token"] == "**REDACTED**"
    assert diagnostics["server"]["ha_url"] == "**REDACTED**"


@pytest.mark.freeze_time("2026-11-24 21:00:00+00:00")
async def test_diagnostics_of_a_print_that_failed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    snapshot: SnapshotAssertion,
) -> None:
    """An ML server error, then spaghetti: paused, answered, muted; all of it shown."""
    ml_server.mode = "error_500"
    await next_poll(hass, freezer)
    ml_server.mode = "normal"
    ml_server.script(*([SPAGHETTI] * 5))
    await next_poll(hass, freezer, 2 * INTERVAL)  # backed off once
    await next_poll(hass, freezer)
    assert printer.state.value == "pause"
    device = printer_device(hass)
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"device_id": device.id, "feedback": "not_a_failure"},
        blocking=True,
    )
    printer.state.set("running")
    await hass.services.async_call(
        DOMAIN, "mute_print", {"device_id": device.id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    entry_diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, printing_entry
    )
    device_diagnostics = await get_diagnostics_for_device(
        hass, hass_client, printing_entry, device
    )

    for diagnostics in (entry_diagnostics, device_diagnostics):
        _assert_secrets_kept(diagnostics, ha_url)
        # The loopback port changes from run to run.
        assert diagnostics["server"].pop(CONF_ML_URL) == ml_server.url
    assert list(entry_diagnostics["printers"]) == [PRINTER_ID]
    printer_diagnostics = entry_diagnostics["printers"][PRINTER_ID]
    assert device_diagnostics["printer_id"] == PRINTER_ID
    assert device_diagnostics["printer"] == printer_diagnostics
    assert [event["kind"] for event in printer_diagnostics["history"]] == [
        "fault_began",
        "fault_cleared",
        "failure",
        "pause_requested",
        "pause_confirmed",
        "acknowledged",
        "muted",
    ]
    assert printer_diagnostics["last_ml_error"] == {
        "time": "2026-11-24T21:00:11+00:00",
        "error": "the ML server failed with HTTP 500",
    }
    assert entry_diagnostics == snapshot(name="config_entry")
    assert device_diagnostics == snapshot(name="device")


async def test_printers_with_the_same_name_are_both_shown(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Keyed by subentry id, two printers called X1C do not hide each other."""
    other = {**server_entry.subentries[PRINTER_ID].data, CONF_FRAME_ENTITY: "camera.b"}
    server_entry.add_to_hass(hass)
    hass.config_entries.async_add_subentry(
        server_entry,
        ConfigSubentry(
            data=other,
            subentry_type=SUBENTRY_PRINTER,
            title="X1C",
            unique_id="camera.b",
        ),
    )
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, server_entry
    )

    printers = diagnostics["printers"]
    assert len(printers) == 2
    assert [printer["name"] for printer in printers.values()] == ["X1C", "X1C"]
    assert {printer["settings"]["frame_entity"] for printer in printers.values()} == {
        "camera.workshop_cam",
        "camera.b",
    }
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), server_entry.entry_id
    )
    for device in devices:
        device_diagnostics = await get_diagnostics_for_device(
            hass, hass_client, server_entry, device
        )
        assert (
            device_diagnostics["printer"] == printers[device_diagnostics["printer_id"]]
        )
    assert {(DOMAIN, subentry_id) for subentry_id in printers} == {
        identifier for device in devices for identifier in device.identifiers
    }
