"""The fix flow of the frame_unreachable repair, driven as the frontend drives it.

The server entry gives the loopback ML server a Home Assistant URL on which
nothing listens, so the ML server really fails to fetch the frames; the flow,
over Home Assistant's repairs API, sets one it can reach, and detection goes on.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.obico.const import CONF_HA_URL, DOMAIN
from custom_components.obico.issues import FRAME_UNREACHABLE, issue_id
from tests.conftest import DETECTION_STATE, next_poll, start_print, state_of
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, free_port

# The waits of the detection loop's back-off after the first two failures.
BACKOFF = (20, 40)
FIX_URL = "/api/repairs/issues/fix"


class RepairsApi:
    """Home Assistant's repairs API, as the frontend calls it."""

    def __init__(self, client: Any) -> None:
        """Call through an authenticated test client."""
        self._client = client

    async def start(self, issue: str) -> dict[str, Any]:
        """Open the fix flow of our issue ``issue``."""
        response = await self._client.post(
            FIX_URL, json={"handler": DOMAIN, "issue_id": issue}
        )
        assert response.status == HTTPStatus.OK, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    async def submit(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send the form of the flow's current step."""
        response = await self._client.post(f"{FIX_URL}/{flow_id}", json=data)
        assert response.status == HTTPStatus.OK, await response.text()
        result: dict[str, Any] = await response.json()
        return result


@pytest.fixture
async def repairs(
    hass: HomeAssistant, ha_url: str, hass_client: ClientSessionGenerator
) -> RepairsApi:
    """The repairs API; Home Assistant serves on its real port first."""
    assert await async_setup_component(hass, "repairs", {})
    return RepairsApi(await hass_client())


@pytest.fixture
def nowhere() -> str:
    """A loopback URL at which nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def lost_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
    nowhere: str,
) -> MockConfigEntry:
    """A printing server entry whose ML server fails three frames in a row."""
    server_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        server_entry, data={**server_entry.data, CONF_HA_URL: nowhere}
    )
    assert await hass.config_entries.async_setup(server_entry.entry_id)
    await hass.async_block_till_done()
    await start_print(hass, printer)
    for wait in BACKOFF:
        await next_poll(hass, freezer, wait)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    return server_entry


def the_issue(entry: MockConfigEntry) -> str:
    """The id of the entry's frame_unreachable issue."""
    return issue_id(FRAME_UNREACHABLE, entry.entry_id)


async def test_the_repair_sets_a_url_the_ml_server_reaches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    repairs: RepairsApi,
    lost_entry: MockConfigEntry,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    nowhere: str,
) -> None:
    """A wrong URL is refused with its own error; a good one is saved and works."""
    found = ir.async_get(hass).async_get_issue(DOMAIN, the_issue(lost_entry))
    assert found is not None
    assert found.is_fixable

    flow = await repairs.start(the_issue(lost_entry))
    assert flow["type"] == "form"
    assert flow["step_id"] == "ha_url"
    assert not flow["errors"]
    assert (
        flow["description_placeholders"]["frame_url"] == f"{nowhere}/api/obico/frame/…"
    )
    assert flow["description_placeholders"]["ml_url"] == ml_server.url

    elsewhere = f"http://127.0.0.1:{free_port()}"
    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: elsewhere})
    assert flow["errors"] == {"base": "frame_unreachable"}
    assert flow["description_placeholders"]["frame_url"] == (
        f"{elsewhere}/api/obico/frame/…"
    )
    assert flow["description_placeholders"]["reason"] == "the connection was refused"

    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: "ftp://x"})
    assert flow["errors"] == {"base": "invalid_ha_url"}
    assert lost_entry.data[CONF_HA_URL] == nowhere, "nothing saved on an error"

    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: ha_url + "/"})
    assert flow["type"] == "create_entry"
    await hass.async_block_till_done()
    assert lost_entry.data[CONF_HA_URL] == ha_url
    assert ir.async_get(hass).async_get_issue(DOMAIN, the_issue(lost_entry)) is None

    # The entry reloaded with it: the next frame reaches the ML server.
    requests = len(ml_server.requests)
    await next_poll(hass, freezer, 300)
    assert len(ml_server.requests) > requests
    assert state_of(hass, DETECTION_STATE) == "warming_up"


async def test_an_empty_url_means_home_assistants_own(
    hass: HomeAssistant,
    repairs: RepairsApi,
    lost_entry: MockConfigEntry,
    ha_url: str,
) -> None:
    """Without a URL of its own, the entry uses Home Assistant's network settings."""
    await hass.config.async_update(internal_url=ha_url)
    flow = await repairs.start(the_issue(lost_entry))
    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: " "})
    assert flow["type"] == "create_entry"
    assert CONF_HA_URL not in lost_entry.data


async def test_a_token_refused_meanwhile_says_where_to_enter_it(
    hass: HomeAssistant,
    repairs: RepairsApi,
    lost_entry: MockConfigEntry,
    ml_server: FakeObicoMlServer,
    ha_url: str,
) -> None:
    """The form has no token field: the error sends the user to the entry."""
    flow = await repairs.start(the_issue(lost_entry))
    ml_server.token = "rotated"
    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: ha_url})
    assert flow["errors"] == {"base": "invalid_auth"}


async def test_nothing_to_fix_once_frames_get_through(
    hass: HomeAssistant, repairs: RepairsApi, lost_entry: MockConfigEntry, ha_url: str
) -> None:
    """The issue went away while the form was open: the flow says so and ends."""
    flow = await repairs.start(the_issue(lost_entry))
    ir.async_delete_issue(hass, DOMAIN, the_issue(lost_entry))
    flow = await repairs.submit(flow["flow_id"], {CONF_HA_URL: ha_url})
    assert flow == flow | {"type": "abort", "reason": "nothing_to_fix"}
    strings = await async_get_translations(hass, "en", "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.{FRAME_UNREACHABLE}.fix_flow"
    assert strings[f"{prefix}.abort.nothing_to_fix"].startswith("Nothing to fix")
