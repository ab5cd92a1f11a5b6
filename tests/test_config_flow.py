"""The config flows: servers, their re-configuration and re-auth, and printers.

Every server check crosses real sockets: the loopback ML server fetches the
flow's test frame from Home Assistant's HTTP server. Only what lies outside this
machine is patched: an unexpected bug (``unknown``) and a host without any URL.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import io
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.components.image import ImageEntity
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import homeassistant.util.dt as dt_util
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)
import voluptuous as vol
from yarl import URL

from custom_components.obico.api import ObicoMlClient
from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_JOB_ENTITY,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_NOTIFY_TARGET,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_POWER_OFF_DELAY,
    CONF_POWER_SWITCH,
    CONF_PRESET,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from custom_components.obico.presets import PRINTER_PRESETS
from tests.conftest import TOKEN, printer_data, printer_device
from tests.fakes import CAMERA, PAUSE_BUTTON, POWER_SWITCH, PRINT_STATE, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, FrameHost, make_jpeg

FRAME_PATH = "/api/obico/frame/"
BENCH_CAM = "image.bench_cam"
BENCH_STATE = "sensor.bench_print_status"
BENCH_JOB = "sensor.bench_job"
OMIT = object()  # a form field the user leaves empty


# Fixtures and helpers


class BenchCam(ImageEntity):
    """A second printer's camera, exposed as an image entity."""

    _attr_name = "Bench cam"
    _attr_unique_id = "bench_cam"

    def __init__(self, hass: HomeAssistant) -> None:
        """Have a picture from the start."""
        super().__init__(hass)
        self._attr_image_last_updated = dt_util.utcnow()

    async def async_image(self) -> bytes | None:
        """Return the current picture."""
        return make_jpeg()


@pytest.fixture
async def other_ml_server(socket_enabled: None) -> AsyncGenerator[FakeObicoMlServer]:
    """A second live loopback ML server, with the same token."""
    server = FakeObicoMlServer(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bench_cam(hass: HomeAssistant, printer: FakePrinter) -> str:
    """A second, unused camera; set up after HTTP and before the server entry."""
    setup_test_component_platform(hass, "image", [BenchCam(hass)])
    assert await async_setup_component(hass, "image", {"image": {"platform": "test"}})
    await hass.async_block_till_done()
    assert hass.states.get(BENCH_CAM) is not None
    return BENCH_CAM


@pytest.fixture
async def entry_with_bench_cam(
    bench_cam: str, loaded_entry: MockConfigEntry
) -> MockConfigEntry:
    """The loaded server entry (X1C on the workshop camera) and a free camera."""
    return loaded_entry


@pytest.fixture
def my_phone(hass: HomeAssistant) -> None:
    """A notify service standing in for the companion app on a phone."""

    async def deliver(call: ServiceCall) -> None:
        """The phone is outside this machine; nothing is sent in these tests."""

    hass.services.async_register("notify", "my_phone", deliver)


def port_of(url: str) -> int:
    """The port of a loopback URL."""
    port = URL(url).port
    assert port is not None
    return port


def schema_of(result: ConfigFlowResult | SubentryFlowResult) -> vol.Schema:
    """The schema of a form."""
    schema = result["data_schema"]
    assert schema is not None
    return schema


def placeholders_of(result: ConfigFlowResult | SubentryFlowResult) -> dict[str, str]:
    """The description placeholders of a form."""
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    return dict(placeholders)


def suggested_values(result: ConfigFlowResult | SubentryFlowResult) -> dict[str, Any]:
    """The values a form shows pre-filled, by field."""
    return {
        key.schema: key.description["suggested_value"]
        for key in schema_of(result).schema
        if key.description and "suggested_value" in key.description
    }


def select_options(
    result: ConfigFlowResult | SubentryFlowResult, field: str
) -> list[str]:
    """The options a select field of a form offers."""
    for key, selector in schema_of(result).schema.items():
        if key.schema == field:
            return list(selector.config["options"])
    raise AssertionError(f"no field {field}")


def server_input(
    ml_server: FakeObicoMlServer, ha_url: str, /, **overrides: Any
) -> dict[str, Any]:
    """What a user types into the server form; OMIT leaves a field empty."""
    values = {
        CONF_ML_URL: ml_server.url,
        CONF_TOKEN: TOKEN,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 1,
    } | overrides
    return {key: value for key, value in values.items() if value is not OMIT}


def printer_input(**overrides: Any) -> dict[str, Any]:
    """A valid printer form for the bench printer; OMIT leaves a field empty."""
    values = {
        CONF_NAME: "Bench printer",
        CONF_FRAME_ENTITY: BENCH_CAM,
        CONF_PRINT_STATE_ENTITY: BENCH_STATE,
        CONF_PRINTING_STATES: ["printing"],
        CONF_PAUSED_STATES: ["paused"],
        CONF_PAUSE_ENTITY: PAUSE_BUTTON,
        CONF_POWER_SWITCH: POWER_SWITCH,
        CONF_POWER_OFF_DELAY: 30,
        CONF_SENSITIVITY: 1.25,
        CONF_INTERVAL: 15,
    } | overrides
    return {key: value for key, value in values.items() if value is not OMIT}


async def start_server_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the "add server" form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


async def submit_server(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a server form (add or reconfigure) and let setups settle."""
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    await hass.async_block_till_done()
    return result


async def assert_server_added(
    hass: HomeAssistant,
    flow_id: str,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    /,
    **overrides: Any,
) -> ConfigEntry:
    """Submit good input on a form that showed an error: the flow recovers."""
    result = await submit_server(
        hass, flow_id, server_input(ml_server, ha_url, **overrides)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == ml_server.url
    assert entry.data[CONF_ML_URL] == ml_server.url
    return entry


async def frame_status(ha_url: str, frame_url: str) -> int:
    """What Home Assistant's frame view answers now for the nonce of a frame URL."""
    nonce = URL(frame_url).name
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{ha_url}{FRAME_PATH}{nonce}") as response,
    ):
        return response.status


def server_entry_for(url: str, **data: Any) -> MockConfigEntry:
    """Another server entry, for the duplicate checks."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Obico ML API ({URL(url).host}:{URL(url).port})",
        unique_id=url,
        data={CONF_ML_URL: url, CONF_MAX_CONCURRENT: 1} | data,
    )


# Adding a server


async def test_user_flow_checks_the_whole_path_and_creates_the_entry(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """The server analyzed our test frame, fetched over HTTP; the entry is stored."""
    result = await start_server_flow(hass)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(ml_server, ha_url, **{CONF_MAX_CONCURRENT: 3}),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Obico ML API (127.0.0.1:{port_of(ml_server.url)})"
    assert result["data"] == {
        CONF_ML_URL: ml_server.url,
        CONF_TOKEN: TOKEN,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 3,
    }
    assert type(result["data"][CONF_MAX_CONCURRENT]) is int
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == ml_server.url
    assert entry.state is ConfigEntryState.LOADED

    # One detection request, with the token, for a frame on our own view...
    assert len(ml_server.requests) == 1
    request = ml_server.requests[0]
    assert request.authorization == f"Bearer {TOKEN}"
    assert request.img is not None
    assert request.img.startswith(f"{ha_url}{FRAME_PATH}")
    # ...which the server really fetched: a 320x240 JPEG.
    assert len(ml_server.fetched) == 1
    with Image.open(io.BytesIO(ml_server.fetched[0])) as picture:
        assert (picture.format, picture.size) == ("JPEG", (320, 240))
    # The test frame was served once and is gone.
    assert await frame_status(ha_url, request.img) == 404


async def test_user_flow_normalises_the_urls(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """Upper-case scheme and trailing slashes are stored in canonical form."""
    port = port_of(ml_server.url)
    result = await start_server_flow(hass)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(
            ml_server,
            f" {ha_url.upper()}/ ",
            **{CONF_ML_URL: f"HTTP://127.0.0.1:{port}/"},
        ),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ML_URL] == f"http://127.0.0.1:{port}"
    assert result["data"][CONF_HA_URL] == ha_url
    assert result["result"].unique_id == f"http://127.0.0.1:{port}"


async def test_user_flow_without_ha_url_uses_home_assistants_own_url(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """With no override, the frame URL comes from Home Assistant's network settings."""
    await hass.config.async_update(internal_url=ha_url)
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url, **{CONF_HA_URL: OMIT})
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_ML_URL: ml_server.url,
        CONF_TOKEN: TOKEN,
        CONF_MAX_CONCURRENT: 1,
    }
    assert ml_server.requests[0].img is not None
    assert ml_server.requests[0].img.startswith(f"{ha_url}{FRAME_PATH}")
    assert len(ml_server.fetched) == 1


@pytest.mark.parametrize("token", [OMIT, "", "   "])
async def test_user_flow_without_token_against_an_open_server(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str, token: object
) -> None:
    """No token stored and no Authorization header sent when none is given."""
    ml_server.token = None
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url, **{CONF_TOKEN: token})
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_ML_URL: ml_server.url,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 1,
    }
    assert [request.authorization for request in ml_server.requests] == [None]
    assert len(ml_server.fetched) == 1


@pytest.mark.parametrize("ml_url", ["not a url", "ftp://x", "http://", ""])
async def test_user_flow_invalid_url_then_recovers(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str, ml_url: str
) -> None:
    """A malformed ML URL is refused before anything is contacted."""
    result = await start_server_flow(hass)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(ml_server, ha_url, **{CONF_ML_URL: ml_url}),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_url"}
    assert result["description_placeholders"] == {}
    # Bad input loses nothing: the form shows what was typed.
    assert suggested_values(result)[CONF_ML_URL] == ml_url
    assert suggested_values(result)[CONF_HA_URL] == ha_url
    assert ml_server.requests == []
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


@pytest.mark.parametrize("bad_ha_url", ["ftp://ha.local", "not a url", "http://"])
async def test_user_flow_invalid_ha_url_then_recovers(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str, bad_ha_url: str
) -> None:
    """A malformed Home Assistant URL has its own error."""
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, bad_ha_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_ha_url"}
    assert result["description_placeholders"] == {}
    assert suggested_values(result)[CONF_HA_URL] == bad_ha_url
    assert ml_server.requests == []
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


@pytest.mark.parametrize(
    "spelling", ["{url}", "{url}/", "HTTP://127.0.0.1:{port}/", " {url}// "]
)
async def test_user_flow_aborts_on_a_server_already_configured(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
    spelling: str,
) -> None:
    """Any spelling of a configured URL aborts, without contacting the server."""
    server_entry.add_to_hass(hass)
    typed = spelling.format(url=ml_server.url, port=port_of(ml_server.url))
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url, **{CONF_ML_URL: typed})
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [server_entry]
    assert ml_server.requests == []


async def test_user_flow_cannot_connect_when_the_server_is_down_then_recovers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    other_ml_server: FakeObicoMlServer,
    ha_url: str,
) -> None:
    """A stopped server: nothing answers there, and how to check; another works."""
    await ml_server.stop()
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    # The address, for the hint to curl it; no library text.
    assert placeholders_of(result) == {"ml_url": ml_server.url}
    await assert_server_added(hass, result["flow_id"], other_ml_server, ha_url)


@pytest.mark.parametrize(
    ("token", "header", "error"),
    [
        ("wrong-token", "Bearer wrong-token", "invalid_auth"),
        (OMIT, None, "token_needed"),
    ],
    ids=["wrong_token", "missing_token"],
)
async def test_user_flow_invalid_auth_then_recovers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    token: object,
    header: str | None,
    error: str,
) -> None:
    """A refused token and a missing one are told apart; the right one works."""
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url, **{CONF_TOKEN: token})
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"] == {}
    assert [request.authorization for request in ml_server.requests] == [header]
    assert [request.status for request in ml_server.requests] == [401]
    entry = await assert_server_added(hass, result["flow_id"], ml_server, ha_url)
    assert entry.data[CONF_TOKEN] == TOKEN


async def test_user_flow_frame_unreachable_shows_the_frame_url_then_recovers(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """The ML server cannot reach the given HA URL: the URL is shown, nonce hidden."""
    closed = "http://127.0.0.1:9"
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, closed)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "frame_unreachable"}
    # The URL first, then the gist of the server's message in a few words.
    assert placeholders_of(result) == {
        "frame_url": f"{closed}{FRAME_PATH}…",
        "reason": "the connection was refused",
    }
    frame_url = ml_server.requests[0].img
    assert frame_url is not None
    assert [request.status for request in ml_server.requests] == [400]
    # The frame nobody could fetch is withdrawn at once.
    assert await frame_status(ha_url, frame_url) == 404
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


async def test_user_flow_frame_unreachable_when_the_server_answers_without_fetching(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """A pre-2024 server answers 200 [] on any error: that is not a success."""
    ml_server.mode = "legacy"
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "frame_unreachable"}
    assert result["description_placeholders"] == {
        "frame_url": f"{ha_url}{FRAME_PATH}…",
        "reason": "the ML server answered without fetching the frame",
    }
    assert ml_server.fetched == []
    frame_url = ml_server.requests[0].img
    assert frame_url is not None
    assert await frame_status(ha_url, frame_url) == 404

    ml_server.mode = "normal"
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


@pytest.mark.parametrize(
    ("mode", "error", "placeholders"),
    [
        ("garbage", "not_obico", {"error": "the ML server did not answer JSON"}),
        (
            "wrong_shape",
            "not_obico",
            {"error": "wrong shape: no detections in the answer"},
        ),
        (
            "reject_422",
            "not_obico",
            {"error": "the ML server rejected the request (HTTP 422)"},
        ),
        ("error_500", "server_error", {"status": "500"}),
    ],
)
async def test_user_flow_bad_answers_then_recovers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    mode: str,
    error: str,
    placeholders: dict[str, str],
) -> None:
    """An answer that is not a usable detection result has its own error."""
    ml_server.mode = mode
    result = await start_server_flow(hass)
    result = await submit_server(
        hass, result["flow_id"], server_input(ml_server, ha_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"] == {"ml_url": ml_server.url} | (
        placeholders
    )

    ml_server.mode = "normal"
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


@pytest.mark.parametrize(
    ("status", "body", "error", "placeholders"),
    [
        (404, "Not Found", "not_obico", {"error": "HTTP 404 to /hc/"}),
        (
            200,
            "<html>Welcome to nginx</html>",
            "not_obico",
            {"error": "no ok from /hc/"},
        ),
        (200, "error", "server_not_ready", {}),
    ],
    ids=["another_server", "a_web_page", "model_not_loaded"],
)
async def test_user_flow_a_server_that_is_not_a_working_obico_ml_api(
    hass: HomeAssistant,
    frame_host: FrameHost,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    status: int,
    body: str,
    error: str,
    placeholders: dict[str, str],
) -> None:
    """Something answers at the address, but not an Obico ML API that can work."""
    frame_host.serve("/hc/", body.encode(), content_type="text/html", status=status)
    result = await start_server_flow(hass)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(ml_server, ha_url, **{CONF_ML_URL: frame_host.url}),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert placeholders_of(result) == {"ml_url": frame_host.url} | placeholders
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


async def test_a_flow_left_open_never_locks_the_url_out(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """An abandoned flow (a reload after an error) leaves the URL free."""
    abandoned = await start_server_flow(hass)
    ml_server.token = "another"
    abandoned = await submit_server(
        hass, abandoned["flow_id"], server_input(ml_server, ha_url)
    )
    assert abandoned["errors"] == {"base": "invalid_auth"}

    ml_server.token = TOKEN
    result = await start_server_flow(hass)
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)
    # Home Assistant then ends the abandoned flow for the configured server.
    assert hass.config_entries.flow.async_progress() == []


async def test_user_flow_unknown_error_is_logged_then_recovers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception (a bug) becomes "unknown" and is logged."""
    result = await start_server_flow(hass)
    with patch.object(ObicoMlClient, "health", side_effect=RuntimeError("a bug")):
        result = await submit_server(
            hass, result["flow_id"], server_input(ml_server, ha_url)
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert result["description_placeholders"] == {}
    [record] = [
        record
        for record in caplog.records
        if record.getMessage() == "Unexpected error while checking the Obico ML server"
    ]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


async def test_user_flow_no_ha_url_then_recovers(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """Without an override and without a URL of its own, HA asks for one.

    The test Home Assistant has a fake LAN address (10.10.10.10), so get_url
    does not raise here; patched, it stands in for a host with no known URL.
    """
    result = await start_server_flow(hass)
    with patch(
        "custom_components.obico.round_trip.get_url",
        side_effect=NoURLAvailableError,
    ):
        result = await submit_server(
            hass,
            result["flow_id"],
            server_input(ml_server, ha_url, **{CONF_HA_URL: OMIT}),
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_ha_url"}
    assert result["description_placeholders"] == {}
    assert ml_server.requests == []
    await assert_server_added(hass, result["flow_id"], ml_server, ha_url)


# Reconfiguring a server


async def start_reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ConfigFlowResult:
    """Open the reconfigure form of a server entry added to hass."""
    entry.add_to_hass(hass)
    result: ConfigFlowResult = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


async def test_reconfigure_form_shows_current_values_but_not_the_token(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """The token is a secret: it is never sent back to the browser."""
    result = await start_reconfigure(hass, server_entry)

    assert result["errors"] == {}
    assert suggested_values(result) == {
        CONF_ML_URL: ml_server.url,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 1,
    }


async def test_reconfigure_to_another_server_keeps_the_token_left_empty(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    other_ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """A new URL is checked with the stored token and becomes the unique id."""
    result = await start_reconfigure(hass, server_entry)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(
            other_ml_server, ha_url, **{CONF_TOKEN: OMIT, CONF_MAX_CONCURRENT: 2}
        ),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert server_entry.unique_id == other_ml_server.url
    assert server_entry.title == (
        f"Obico ML API (127.0.0.1:{port_of(other_ml_server.url)})"
    )
    assert server_entry.data == {
        CONF_ML_URL: other_ml_server.url,
        CONF_TOKEN: TOKEN,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 2,
    }
    assert [request.authorization for request in other_ml_server.requests] == [
        f"Bearer {TOKEN}"
    ]
    assert len(other_ml_server.fetched) == 1
    assert ml_server.requests == []


async def test_reconfigure_with_a_new_token_replaces_it(
    hass: HomeAssistant,
    other_ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """A typed token wins over the stored one."""
    other_ml_server.token = "new-token"
    result = await start_reconfigure(hass, server_entry)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(other_ml_server, ha_url, **{CONF_TOKEN: "new-token"}),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert server_entry.data[CONF_TOKEN] == "new-token"
    assert server_entry.unique_id == other_ml_server.url
    assert [request.authorization for request in other_ml_server.requests] == [
        "Bearer new-token"
    ]


async def test_reconfigure_of_a_server_without_token_stores_no_token(
    hass: HomeAssistant, ml_server: FakeObicoMlServer, ha_url: str
) -> None:
    """No token on either side: no token key; a cleared HA URL is dropped too."""
    ml_server.token = None
    await hass.config.async_update(internal_url=ha_url)
    entry = server_entry_for(ml_server.url, **{CONF_HA_URL: ha_url})
    result = await start_reconfigure(hass, entry)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(ml_server, ha_url, **{CONF_TOKEN: OMIT, CONF_HA_URL: OMIT}),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_ML_URL: ml_server.url, CONF_MAX_CONCURRENT: 1}
    assert [request.authorization for request in ml_server.requests] == [None]
    assert len(ml_server.fetched) == 1


async def test_reconfigure_to_a_url_of_another_entry_aborts(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    other_ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """Two entries must not watch through the same server."""
    other_entry = server_entry_for(other_ml_server.url)
    other_entry.add_to_hass(hass)
    result = await start_reconfigure(hass, server_entry)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(
            other_ml_server,
            ha_url,
            **{CONF_ML_URL: f"HTTP://127.0.0.1:{port_of(other_ml_server.url)}/"},
        ),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert server_entry.unique_id == ml_server.url
    assert server_entry.data[CONF_ML_URL] == ml_server.url
    assert other_ml_server.requests == []


async def test_reconfigure_keeping_its_own_url_succeeds(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    other_ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """Its own URL is not "taken", even with other servers configured."""
    server_entry_for(other_ml_server.url).add_to_hass(hass)
    result = await start_reconfigure(hass, server_entry)
    result = await submit_server(
        hass,
        result["flow_id"],
        server_input(ml_server, ha_url, **{CONF_MAX_CONCURRENT: 4}),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert server_entry.unique_id == ml_server.url
    assert server_entry.data == {
        CONF_ML_URL: ml_server.url,
        CONF_TOKEN: TOKEN,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 4,
    }
    assert len(ml_server.fetched) == 1


async def test_reconfigure_error_keeps_the_input_then_recovers(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """A refused token changes nothing; the corrected form then saves."""
    result = await start_reconfigure(hass, server_entry)
    typed = server_input(
        ml_server, ha_url, **{CONF_TOKEN: "stale", CONF_MAX_CONCURRENT: 2}
    )
    result = await submit_server(hass, result["flow_id"], typed)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_values(result) == typed
    assert server_entry.data[CONF_TOKEN] == TOKEN
    assert server_entry.data[CONF_MAX_CONCURRENT] == 1

    result = await submit_server(hass, result["flow_id"], typed | {CONF_TOKEN: TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert server_entry.data[CONF_MAX_CONCURRENT] == 2


# Re-authentication


async def start_reauth(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Open the re-auth form of a server entry added to hass."""
    entry.add_to_hass(hass)
    result: ConfigFlowResult = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    return result


async def test_reauth_wrong_token_then_the_new_one(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
) -> None:
    """The server's token was rotated: the old one fails, the new one is stored."""
    ml_server.token = "rotated-token"
    result = await start_reauth(hass, server_entry)
    assert result["errors"] == {}
    # Home Assistant itself adds the entry's title as "name".
    assert result["description_placeholders"] == {
        "ml_url": ml_server.url,
        "name": server_entry.title,
    }

    result = await submit_server(hass, result["flow_id"], {CONF_TOKEN: TOKEN})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"] == {
        "ml_url": ml_server.url,
        "name": server_entry.title,
    }
    assert server_entry.data[CONF_TOKEN] == TOKEN

    result = await submit_server(
        hass, result["flow_id"], {CONF_TOKEN: " rotated-token "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert server_entry.data == {
        CONF_ML_URL: ml_server.url,
        CONF_TOKEN: "rotated-token",
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 1,
    }
    assert [request.authorization for request in ml_server.requests] == [
        f"Bearer {TOKEN}",
        "Bearer rotated-token",
    ]


@pytest.mark.parametrize("user_input", [{}, {CONF_TOKEN: "  "}])
async def test_reauth_empty_token_removes_it(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    server_entry: MockConfigEntry,
    user_input: dict[str, Any],
) -> None:
    """A server that dropped its token: the entry forgets it."""
    ml_server.token = None
    result = await start_reauth(hass, server_entry)
    result = await submit_server(hass, result["flow_id"], user_input)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert server_entry.data == {
        CONF_ML_URL: ml_server.url,
        CONF_HA_URL: ha_url,
        CONF_MAX_CONCURRENT: 1,
    }
    assert [request.authorization for request in ml_server.requests] == [None]


# Adding a printer


async def start_printer_flow(
    hass: HomeAssistant,
    entry: ConfigEntry,
    preset: str,
    action: str = "pause_and_off",
) -> SubentryFlowResult:
    """Open the "add printer" flow, pick a preset and an action."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PRINTER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PRESET: preset, CONF_ACTION: action}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    assert result["errors"] == {}
    return result


async def submit_printer(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> SubentryFlowResult:
    """Submit a printer form (add or reconfigure) and let the reload settle."""
    result = await hass.config_entries.subentries.async_configure(flow_id, user_input)
    await hass.async_block_till_done()
    return result


async def test_printer_flow_starts_with_the_preset_choice(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The first step offers every preset, Bambu Lab first."""
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_PRINTER), context={"source": SOURCE_USER}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert select_options(result, CONF_PRESET) == [
        "bambu_lab",
        "moonraker",
        "octoprint",
        "prusalink",
        "elegoo",
        "custom",
    ]
    assert select_options(result, CONF_ACTION) == ["notify", "pause", "pause_and_off"]
    assert schema_of(result)({}) == {CONF_PRESET: "bambu_lab", CONF_ACTION: "pause"}
    # The printer's details come next: the button says so.
    assert result["last_step"] is False


@pytest.mark.parametrize(
    ("preset", "printing", "paused"),
    [
        ("bambu_lab", ["running"], ["pause"]),
        ("moonraker", ["printing"], ["paused"]),
        ("octoprint", ["printing", "printing_sd"], ["pausing", "paused", "resuming"]),
        ("prusalink", ["printing"], ["paused"]),
        (
            "elegoo",
            [
                "printing",
                "print_started",
                "homing_completed",
                "auto_leveling_completed",
                "preheating_completed",
                "resonance_testing_completed",
            ],
            ["pausing", "paused", "resuming"],
        ),
        ("custom", [], []),
    ],
)
async def test_printer_flow_preset_prefills_the_states(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    preset: str,
    printing: list[str],
    paused: list[str],
) -> None:
    """Each preset pre-fills its integration's printing and paused states."""
    assert set(PRINTER_PRESETS) == {
        "bambu_lab",
        "moonraker",
        "octoprint",
        "prusalink",
        "elegoo",
        "custom",
    }
    result = await start_printer_flow(hass, loaded_entry, preset)

    assert suggested_values(result) == {
        CONF_PRINTING_STATES: printing,
        CONF_PAUSED_STATES: paused,
    }
    assert select_options(result, CONF_PRINTING_STATES) == printing + paused
    assert select_options(result, CONF_PAUSED_STATES) == printing + paused


@pytest.mark.parametrize("typed_target", ["my_phone", "notify.my_phone"])
async def test_printer_flow_creates_the_printer(
    hass: HomeAssistant,
    entry_with_bench_cam: MockConfigEntry,
    my_phone: None,
    typed_target: str,
) -> None:
    """The printer is stored with typed values and watched after the reload."""
    entry = entry_with_bench_cam
    before = set(entry.subentries)
    result = await start_printer_flow(hass, entry, "moonraker")
    assert "my_phone" in select_options(result, CONF_NOTIFY_TARGET)
    result = await submit_printer(
        hass,
        result["flow_id"],
        printer_input(**{CONF_JOB_ENTITY: BENCH_JOB, CONF_NOTIFY_TARGET: typed_target}),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bench printer"
    [subentry_id] = set(entry.subentries) - before
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Bench printer"
    assert subentry.unique_id == BENCH_CAM
    assert subentry.subentry_type == SUBENTRY_PRINTER
    assert dict(subentry.data) == {
        CONF_FRAME_ENTITY: BENCH_CAM,
        CONF_PRINT_STATE_ENTITY: BENCH_STATE,
        CONF_PRINTING_STATES: ["printing"],
        CONF_PAUSED_STATES: ["paused"],
        CONF_JOB_ENTITY: BENCH_JOB,
        CONF_ACTION: "pause_and_off",
        CONF_PAUSE_ENTITY: PAUSE_BUTTON,
        CONF_POWER_SWITCH: POWER_SWITCH,
        CONF_POWER_OFF_DELAY: 30,
        CONF_SENSITIVITY: 1.25,
        CONF_INTERVAL: 15,
        CONF_NOTIFY_TARGET: "my_phone",
    }
    assert type(subentry.data[CONF_INTERVAL]) is int
    assert type(subentry.data[CONF_POWER_OFF_DELAY]) is int
    assert type(subentry.data[CONF_SENSITIVITY]) is float

    # The entry reloaded and now watches both printers.
    assert entry.state is ConfigEntryState.LOADED
    printers = entry.runtime_data.printers
    assert set(printers) == set(entry.subentries)
    assert printers[subentry_id].settings.frame_entity == BENCH_CAM
    assert printers[subentry_id].settings.interval == 15
    # Its device and entities came with it, without a restart.
    device = printer_device(hass, subentry_id)
    assert device is not None
    # Read from the entity registry: how a device names its subentry differs
    # between releases (2026.10 deprecates config_entries_subentries).
    detection_state = er.async_get(hass).async_get(
        "sensor.bench_printer_detection_state"
    )
    assert detection_state is not None
    assert detection_state.device_id == device.id
    assert detection_state.config_subentry_id == subentry_id
    assert hass.states.get("sensor.bench_printer_detection_state") is not None


async def test_printer_flow_integer_sensitivity_is_stored_as_float(
    hass: HomeAssistant, entry_with_bench_cam: MockConfigEntry
) -> None:
    """Sensitivity 1 is 1.0, and the notify target is optional."""
    result = await start_printer_flow(hass, entry_with_bench_cam, "custom", "notify")
    result = await submit_printer(
        hass,
        result["flow_id"],
        printer_input(**{CONF_SENSITIVITY: 1}, **NO_PAUSE),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = [
        subentry
        for subentry in entry_with_bench_cam.subentries.values()
        if subentry.unique_id == BENCH_CAM
    ]
    assert type(subentry.data[CONF_SENSITIVITY]) is float
    assert subentry.data[CONF_SENSITIVITY] == 1.0
    assert CONF_NOTIFY_TARGET not in subentry.data
    assert CONF_NAME not in subentry.data


PRINTER_ERRORS = [
    pytest.param(
        {CONF_PRINTING_STATES: []},
        {CONF_PRINTING_STATES: "printing_states_required"},
        id="printing_states_required",
    ),
    pytest.param(
        {CONF_PAUSED_STATES: ["paused", "printing"]},
        {CONF_PAUSED_STATES: "states_overlap"},
        id="states_overlap",
    ),
    pytest.param(
        {CONF_NOTIFY_TARGET: "notify.nobody"},
        {CONF_NOTIFY_TARGET: "notify_target_unknown"},
        id="notify_target_unknown",
    ),
    pytest.param(
        {CONF_FRAME_ENTITY: CAMERA},
        {CONF_FRAME_ENTITY: "frame_entity_in_use"},
        id="frame_entity_in_use",
    ),
]


@pytest.mark.parametrize(("overrides", "errors"), PRINTER_ERRORS)
async def test_printer_flow_errors_keep_the_input_then_recover(
    hass: HomeAssistant,
    entry_with_bench_cam: MockConfigEntry,
    overrides: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each inconsistent form names its field; the corrected form is stored."""
    entry = entry_with_bench_cam
    result = await start_printer_flow(hass, entry, "prusalink")
    typed = printer_input(**overrides)
    result = await submit_printer(hass, result["flow_id"], typed)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    assert result["errors"] == errors
    assert suggested_values(result) == typed
    assert len(entry.subentries) == 1

    result = await submit_printer(hass, result["flow_id"], printer_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert {subentry.unique_id for subentry in entry.subentries.values()} == {
        CAMERA,
        BENCH_CAM,
    }


async def test_printer_flow_error_keeps_paused_states_the_user_cleared(
    hass: HomeAssistant, entry_with_bench_cam: MockConfigEntry
) -> None:
    """Clearing the preset's paused states survives an error on another field."""
    result = await start_printer_flow(hass, entry_with_bench_cam, "bambu_lab")
    typed = printer_input(
        **{
            CONF_PRINTING_STATES: ["running"],
            CONF_PAUSED_STATES: OMIT,
            CONF_NOTIFY_TARGET: "nobody",
        }
    )
    result = await submit_printer(hass, result["flow_id"], typed)

    assert result["errors"] == {CONF_NOTIFY_TARGET: "notify_target_unknown"}
    assert suggested_values(result) == typed


# Reconfiguring a printer


async def start_printer_reconfigure(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, action: str = "pause"
) -> SubentryFlowResult:
    """Open the "change printer" flow of a printer subentry, keep or pick an action."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PRINTER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["last_step"] is False
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_ACTION: action}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    return result


def x1c_subentry_id(entry: ConfigEntry) -> str:
    """The id of the X1C printer subentry of the server entry fixture."""
    [subentry_id] = [
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.unique_id == CAMERA
    ]
    return subentry_id


NO_PAUSE = {
    CONF_PAUSE_ENTITY: OMIT,
    CONF_POWER_SWITCH: OMIT,
    CONF_POWER_OFF_DELAY: OMIT,
}


def x1c_input(**overrides: Any) -> dict[str, Any]:
    """The X1C's current settings as its form holds them; OMIT empties a field.

    The X1C pauses (no power-off): its power switch and delay are not asked.
    """
    stored = printer_data()
    for key in (CONF_ACTION, CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY):
        stored.pop(key)
    values = {CONF_NAME: "X1C"} | stored | overrides
    return {key: value for key, value in values.items() if value is not OMIT}


async def test_printer_reconfigure_form_is_prefilled(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The form shows the printer's name and every stored setting."""
    result = await start_printer_reconfigure(
        hass, loaded_entry, x1c_subentry_id(loaded_entry)
    )

    assert result["errors"] == {}
    assert suggested_values(result) == x1c_input()
    assert select_options(result, CONF_PRINTING_STATES) == ["running", "pause"]


async def test_printer_reconfigure_updates_and_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """New settings are stored, and the reloaded coordinator uses them."""
    subentry_id = x1c_subentry_id(loaded_entry)
    old_coordinator = loaded_entry.runtime_data.printers[subentry_id]
    result = await start_printer_reconfigure(
        hass, loaded_entry, subentry_id, action="notify"
    )
    assert {field.schema for field in schema_of(result).schema}.isdisjoint(
        {CONF_PAUSE_ENTITY, CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY}
    )
    result = await submit_printer(
        hass,
        result["flow_id"],
        x1c_input(
            **{
                CONF_NAME: "X1C Carbon",
                CONF_INTERVAL: 30,
                CONF_SENSITIVITY: 1.1,
                CONF_PAUSE_ENTITY: OMIT,
            }
        ),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = loaded_entry.subentries[subentry_id]
    assert subentry.title == "X1C Carbon"
    assert subentry.unique_id == CAMERA
    expected = printer_data(**{CONF_INTERVAL: 30, CONF_SENSITIVITY: 1.1})
    expected[CONF_ACTION] = "notify"
    for key in (CONF_PAUSE_ENTITY, CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY):
        del expected[key]
    assert dict(subentry.data) == expected

    assert loaded_entry.state is ConfigEntryState.LOADED
    coordinator = loaded_entry.runtime_data.printers[subentry_id]
    assert coordinator is not old_coordinator
    assert coordinator.settings.interval == 30
    assert coordinator.settings.name == "X1C Carbon"
    assert coordinator.settings.sensitivity == 1.1


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {CONF_PAUSED_STATES: ["running"]},
            {CONF_PAUSED_STATES: "states_overlap"},
        ),
        (
            {CONF_NOTIFY_TARGET: "nobody"},
            {CONF_NOTIFY_TARGET: "notify_target_unknown"},
        ),
    ],
    ids=["states_overlap", "notify_target_unknown"],
)
async def test_printer_reconfigure_errors_change_nothing_then_recover(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    overrides: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """A bad form leaves the printer as it was; the corrected one is stored."""
    subentry_id = x1c_subentry_id(loaded_entry)
    result = await start_printer_reconfigure(hass, loaded_entry, subentry_id)
    typed = x1c_input(**overrides)
    result = await submit_printer(hass, result["flow_id"], typed)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    assert result["errors"] == errors
    assert suggested_values(result) == typed
    assert dict(loaded_entry.subentries[subentry_id].data) == printer_data()

    result = await submit_printer(
        hass, result["flow_id"], x1c_input(**{CONF_INTERVAL: 20})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    # Pausing without a power-off: the power-off settings go with the form.
    expected = printer_data(**{CONF_INTERVAL: 20})
    del expected[CONF_POWER_SWITCH], expected[CONF_POWER_OFF_DELAY]
    assert dict(loaded_entry.subentries[subentry_id].data) == expected


async def test_printer_reconfigure_to_a_camera_of_another_printer(
    hass: HomeAssistant, entry_with_bench_cam: MockConfigEntry
) -> None:
    """Another printer's camera is in use; a free one is fine."""
    entry = entry_with_bench_cam
    result = await start_printer_flow(hass, entry, "prusalink")
    result = await submit_printer(hass, result["flow_id"], printer_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY

    subentry_id = x1c_subentry_id(entry)
    result = await start_printer_reconfigure(hass, entry, subentry_id)
    result = await submit_printer(
        hass, result["flow_id"], x1c_input(**{CONF_FRAME_ENTITY: BENCH_CAM})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_FRAME_ENTITY: "frame_entity_in_use"}
    assert entry.subentries[subentry_id].unique_id == CAMERA

    result = await submit_printer(
        hass, result["flow_id"], x1c_input(**{CONF_PRINT_STATE_ENTITY: PRINT_STATE})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].unique_id == CAMERA


# The interval: Obico's 10 s at the least


async def test_printer_flow_offers_obicos_interval_and_nothing_shorter(
    hass: HomeAssistant, entry_with_bench_cam: MockConfigEntry
) -> None:
    """10 s by default, and a shorter interval is refused before it is stored."""
    result = await start_printer_flow(hass, entry_with_bench_cam, "moonraker")
    [(key, selector)] = [
        (key, value)
        for key, value in schema_of(result).schema.items()
        if key.schema == CONF_INTERVAL
    ]
    assert selector.config["min"] == 10
    assert key.default() == 10
    before = dict(entry_with_bench_cam.subentries)
    with pytest.raises(InvalidData):
        await submit_printer(
            hass, result["flow_id"], printer_input(**{CONF_INTERVAL: 5})
        )
    assert dict(entry_with_bench_cam.subentries) == before


async def test_printer_reconfigure_refuses_an_interval_under_ten_seconds(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The same floor applies when a printer is changed."""
    subentry_id = x1c_subentry_id(loaded_entry)
    result = await start_printer_reconfigure(hass, loaded_entry, subentry_id)
    with pytest.raises(InvalidData):
        await submit_printer(hass, result["flow_id"], x1c_input(**{CONF_INTERVAL: 9}))
    assert dict(loaded_entry.subentries[subentry_id].data) == printer_data()


@pytest.mark.parametrize(
    ("action", "shown", "hidden"),
    [
        (
            "notify",
            set(),
            {CONF_PAUSE_ENTITY, CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY},
        ),
        ("pause", {CONF_PAUSE_ENTITY}, {CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY}),
        (
            "pause_and_off",
            {CONF_PAUSE_ENTITY, CONF_POWER_SWITCH, CONF_POWER_OFF_DELAY},
            set(),
        ),
    ],
)
async def test_printer_form_asks_only_what_the_action_needs(
    hass: HomeAssistant,
    entry_with_bench_cam: MockConfigEntry,
    action: str,
    shown: set[str],
    hidden: set[str],
) -> None:
    """The power-off delay only for "pause and power off", the pause entity only to pause."""
    result = await start_printer_flow(hass, entry_with_bench_cam, "moonraker", action)
    fields = {field.schema: field for field in schema_of(result).schema}
    assert shown <= set(fields)
    assert hidden.isdisjoint(fields)
    # What is asked for is required, and marked so.
    assert all(isinstance(fields[key], vol.Required) for key in shown)
    assert result["last_step"] is True


async def test_printer_flow_refuses_a_pausing_printer_without_pause_entity(
    hass: HomeAssistant, entry_with_bench_cam: MockConfigEntry
) -> None:
    """To pause, the pause entity is required; the form says so before anything."""
    result = await start_printer_flow(hass, entry_with_bench_cam, "moonraker", "pause")
    with pytest.raises(InvalidData):
        await submit_printer(
            hass,
            result["flow_id"],
            printer_input(
                **{
                    CONF_PAUSE_ENTITY: OMIT,
                    CONF_POWER_SWITCH: OMIT,
                    CONF_POWER_OFF_DELAY: OMIT,
                }
            ),
        )
    assert len(entry_with_bench_cam.subentries) == 1
