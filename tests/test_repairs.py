"""Repair issues: raised while a problem lasts, gone by themselves when it ends.

Each is caused for real: the loopback ML server stopped, Home Assistant's HTTP
server cut off from it, a printer that ignores its pause button.
"""

from __future__ import annotations

import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.api import ObicoFrameError
from custom_components.obico.const import CONF_JOB_ENTITY, DOMAIN, PAUSE_VERIFY_TIMEOUT
from custom_components.obico.issues import (
    FRAME_ERRORS_IN_A_ROW,
    FRAME_UNREACHABLE,
    ML_SERVER_UNAVAILABLE,
    PAUSE_NOT_CONFIRMED,
    TROUBLESHOOTING_URL,
    MlServerWatch,
    issue_id,
)
from tests.conftest import (
    PRINTER_ID,
    SPAGHETTI,
    next_poll,
    printer_device,
    reach_pause_level,
    start_print,
    state_of,
)
from tests.fakes import JOB, FakePrinter
from tests.http_server import async_resume_http
from tests.obico_ml_server import FakeObicoMlServer

DETECTION_STATE = "sensor.x1c_detection_state"
# The waits of the detection loop's back-off after 1, 2, 3... failures.
BACKOFF = (20, 40, 80, 160, 300, 300)


def issue(hass: HomeAssistant, key: str, owner_id: str) -> ir.IssueEntry | None:
    """The issue ``key`` of a server entry or printer, if it is raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id(key, owner_id))


def our_issues(hass: HomeAssistant) -> list[str]:
    """The ids of every issue of ours now raised."""
    return sorted(
        issue_id
        for (domain, issue_id), entry in ir.async_get(hass).issues.items()
        if domain == DOMAIN and entry.active
    )


async def render(hass: HomeAssistant, found: ir.IssueEntry) -> tuple[str, str]:
    """The title and text the user sees, as the frontend fills them in."""
    strings = await async_get_translations(hass, "en", "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.{found.translation_key}"
    # A fixable issue's text is the first step of its fix flow.
    text_key = "fix_flow.step.ha_url.description" if found.is_fixable else "description"
    title, text = strings[f"{prefix}.title"], strings[f"{prefix}.{text_key}"]
    placeholders = found.translation_placeholders or {}
    # Every placeholder of the text is given, and every one given is used.
    assert set(re.findall(r"{(\w+)}", title + text)) == set(placeholders)
    return title.format(**placeholders), text.format(**placeholders)


async def fail_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, waits: tuple[int, ...]
) -> None:
    """Let the backed-off frames after these waits run (and fail)."""
    for wait in waits:
        await next_poll(hass, freezer, wait)


async def test_an_ml_server_down_for_ten_minutes_of_printing_is_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Raised at the first failure ten minutes after the first; gone at the next analysis."""
    port = int(ml_server.url.rsplit(":", 1)[1])
    await ml_server.stop()
    await start_print(hass, printer)
    await fail_for(hass, freezer, BACKOFF[:4])  # frames at 0, 20, 60, 140, 300 s
    assert our_issues(hass) == []

    await fail_for(hass, freezer, BACKOFF[4:5])  # 600 s
    found = issue(hass, ML_SERVER_UNAVAILABLE, loaded_entry.entry_id)
    assert found is not None
    assert found.severity is ir.IssueSeverity.ERROR
    assert not found.is_fixable
    assert not found.is_persistent
    assert found.learn_more_url == TROUBLESHOOTING_URL
    assert found.translation_placeholders == {
        "ml_url": ml_server.url,
        "printer": "X1C",
        "minutes": "10",
        "error": found.translation_placeholders["error"],
        "docs_url": TROUBLESHOOTING_URL,
    }
    assert found.translation_placeholders["error"].startswith(
        "cannot reach the ML server"
    )
    title, text = await render(hass, found)
    assert title == "The Obico ML server has analyzed nothing for 10 minutes"
    assert f"curl {ml_server.url}/hc/" in text
    assert f"({TROUBLESHOOTING_URL})" in text
    assert our_issues(hass) == [issue_id(ML_SERVER_UNAVAILABLE, loaded_entry.entry_id)]

    await ml_server.start(port)
    await next_poll(hass, freezer, 300)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert our_issues(hass) == []


async def test_only_time_spent_printing_counts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Five minutes failing, an hour paused, a failure on resuming: not yet ten minutes."""
    ml_server.mode = "error_500"
    await start_print(hass, printer)
    await fail_for(hass, freezer, BACKOFF[:4])  # 300 s
    printer.state.set("pause")
    await next_poll(hass, freezer, 3600)
    printer.state.set("running")  # the frame on resuming fails too
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, DETECTION_STATE) == "ml_unavailable"
    await next_poll(hass, freezer, 300)
    assert our_issues(hass) == []

    await next_poll(hass, freezer, 300)  # ten minutes since the resume
    assert issue(hass, ML_SERVER_UNAVAILABLE, loaded_entry.entry_id) is not None
    assert "HTTP 500" in await render_text(hass, loaded_entry)


async def render_text(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The text of the entry's ml_server_unavailable issue."""
    found = issue(hass, ML_SERVER_UNAVAILABLE, entry.entry_id)
    assert found is not None
    return (await render(hass, found))[1]


async def test_a_rejected_token_is_left_to_reauthentication(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Re-authentication asks for the token; no repair says the same again."""
    ml_server.token = "rotated"
    await start_print(hass, printer)
    await fail_for(hass, freezer, BACKOFF)
    assert our_issues(hass) == []


async def _cut_ha_off(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await hass.http.stop()


async def _reconnect_ha(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    await async_resume_http(hass)


async def _legacy(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    server.mode = "legacy"


async def _normal(server: FakeObicoMlServer, hass: HomeAssistant) -> None:
    server.mode = "normal"


@pytest.mark.parametrize(
    ("cut_off", "reconnect", "reason"),
    [
        pytest.param(
            _cut_ha_off,
            _reconnect_ha,
            "the connection was refused",
            id="failed_to_get_image",
        ),
        pytest.param(
            _legacy,
            _normal,
            "the ML server answered without fetching the frame",
            id="pre_2024_server_that_did_not_fetch",
        ),
    ],
)
async def test_three_frames_the_ml_server_could_not_get_are_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    ha_url: str,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    cut_off: Any,
    reconnect: Any,
    reason: str,
) -> None:
    """The repair shows the URL the ML server was given, without its secret."""
    await cut_off(ml_server, hass)
    await start_print(hass, printer)
    await fail_for(hass, freezer, BACKOFF[:1])
    assert our_issues(hass) == []

    await fail_for(hass, freezer, BACKOFF[1:2])  # the third in a row
    found = issue(hass, FRAME_UNREACHABLE, loaded_entry.entry_id)
    assert found is not None
    assert found.severity is ir.IssueSeverity.ERROR
    assert found.is_fixable, "its fix flow sets a URL (test_repair_flow.py)"
    assert found.learn_more_url == TROUBLESHOOTING_URL
    assert found.translation_placeholders == {
        "ml_url": ml_server.url,
        "frame_url": f"{ha_url}/api/obico/frame/…",
        "reason": reason,
        "count": "3",
        "docs_url": TROUBLESHOOTING_URL,
    }
    title, text = await render(hass, found)
    assert title == "The Obico ML server cannot reach Home Assistant"
    assert f"It was given {ha_url}/api/obico/frame/…, an address" in text
    assert "[troubleshooting section](https://github.com/obico-ha/" in text

    # Ten minutes on, the precise cause is still the one said.
    await fail_for(hass, freezer, BACKOFF[2:])
    assert our_issues(hass) == [issue_id(FRAME_UNREACHABLE, loaded_entry.entry_id)]

    await reconnect(ml_server, hass)
    ml_server.script(SPAGHETTI)
    await next_poll(hass, freezer, 300)
    assert state_of(hass, DETECTION_STATE) == "warming_up"
    assert our_issues(hass) == []


async def test_frame_errors_must_come_in_a_row(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Another error in between starts the count again."""
    await hass.http.stop()
    await start_print(hass, printer)  # 1
    await fail_for(hass, freezer, BACKOFF[:1])  # 2
    ml_server.mode = "error_500"
    await fail_for(hass, freezer, BACKOFF[1:2])  # not a frame error
    ml_server.mode = "normal"
    await fail_for(hass, freezer, BACKOFF[2:4])  # 1, 2
    assert our_issues(hass) == []
    await fail_for(hass, freezer, BACKOFF[4:5])  # 3
    assert our_issues(hass) == [issue_id(FRAME_UNREACHABLE, loaded_entry.entry_id)]
    await async_resume_http(hass)


async def test_no_frame_issue_without_a_url_to_show(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Home Assistant had no URL to give the ML server: its own error says so."""
    watch = MlServerWatch(hass, loaded_entry, "X1C")
    for _ in range(FRAME_ERRORS_IN_A_ROW):
        watch.failed(
            ObicoFrameError("Home Assistant has no URL the ML server could use")
        )
    assert our_issues(hass) == []


async def ignored_pause(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printer: FakePrinter,
) -> None:
    """A failing print whose printer ignores both presses of its pause button."""
    printer.state.obeys_pause = False
    await reach_pause_level(hass, freezer, ml_server, 30)
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    await next_poll(hass, freezer, PAUSE_VERIFY_TIMEOUT)
    assert printer.state.pause_presses == 2


async def test_a_pause_that_was_not_confirmed_is_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The printer, its pause entity and the wait are named."""
    await ignored_pause(hass, freezer, ml_server, printer)
    found = issue(hass, PAUSE_NOT_CONFIRMED, PRINTER_ID)
    assert found is not None
    assert found.severity is ir.IssueSeverity.ERROR
    assert not found.is_fixable
    assert found.translation_placeholders == {
        "printer": "X1C",
        "pause_entity": "button.x1c_pause",
        "seconds": str(PAUSE_VERIFY_TIMEOUT),
    }
    title, text = await render(hass, found)
    assert title == "X1C could not be paused"
    assert "pressed button.x1c_pause, twice" in text


async def _paused_by_hand(hass: HomeAssistant, printer: FakePrinter) -> None:
    printer.state.set("pause")


async def _cancelled(hass: HomeAssistant, printer: FakePrinter) -> None:
    printer.state.set("idle")


def _answer(feedback: str) -> Any:
    async def answer(hass: HomeAssistant, printer: FakePrinter) -> None:
        device = printer_device(hass)
        assert device is not None
        await hass.services.async_call(
            DOMAIN,
            "acknowledge",
            {"device_id": device.id, "feedback": feedback},
            blocking=True,
        )

    return answer


@pytest.mark.parametrize(
    "resolve",
    [
        pytest.param(_paused_by_hand, id="paused_by_hand"),
        pytest.param(_cancelled, id="cancelled"),
        pytest.param(_answer("failed"), id="answered_failed"),
        pytest.param(_answer("not_a_failure"), id="answered_not_a_failure"),
    ],
)
async def test_an_unconfirmed_pause_clears_once_it_is_dealt_with(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
    resolve: Any,
) -> None:
    """Seen paused or stopped, or the alert answered: the issue goes."""
    await ignored_pause(hass, freezer, ml_server, printer)
    assert our_issues(hass) == [issue_id(PAUSE_NOT_CONFIRMED, PRINTER_ID)]
    await resolve(hass, printer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert our_issues(hass) == []


@pytest.mark.parametrize("printer_overrides", [{CONF_JOB_ENTITY: JOB}])
async def test_an_unconfirmed_pause_clears_when_another_job_starts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A new job without a stop in between is a new print: the old issue goes."""
    hass.states.async_set(JOB, "benchy.3mf")
    await ignored_pause(hass, freezer, ml_server, printer)
    assert our_issues(hass) == [issue_id(PAUSE_NOT_CONFIRMED, PRINTER_ID)]
    hass.states.async_set(JOB, "cube.3mf")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert printer.state.value == "running"
    assert our_issues(hass) == []


async def test_an_unconfirmed_pause_stays_while_the_printer_prints_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Frames go on, nothing is answered: the issue stays."""
    await ignored_pause(hass, freezer, ml_server, printer)
    for _ in range(5):
        await next_poll(hass, freezer)
    assert our_issues(hass) == [issue_id(PAUSE_NOT_CONFIRMED, PRINTER_ID)]


def raise_every_issue(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Raise each issue of the entry and its printer, as their causes would."""
    owners = {
        ML_SERVER_UNAVAILABLE: entry.entry_id,
        FRAME_UNREACHABLE: entry.entry_id,
        PAUSE_NOT_CONFIRMED: PRINTER_ID,
    }
    for key, owner_id in owners.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id(key, owner_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
        )
    ids = [issue_id(key, owner_id) for key, owner_id in owners.items()]
    assert our_issues(hass) == sorted(ids)
    return ids


async def test_unloading_a_server_clears_its_issues(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Nothing is watched once unloaded; a reload with a new URL may be the fix."""
    raise_every_issue(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert our_issues(hass) == []


async def test_removing_a_server_clears_its_issues(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """No repair lingers for a server that is gone, loaded or not."""
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    raise_every_issue(hass, loaded_entry)
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    assert our_issues(hass) == []


async def test_removing_a_printer_clears_its_issue(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A removed printer's unconfirmed pause goes with it."""
    raise_every_issue(hass, loaded_entry)
    assert hass.config_entries.async_remove_subentry(loaded_entry, PRINTER_ID)
    await hass.async_block_till_done()
    assert issue(hass, PAUSE_NOT_CONFIRMED, PRINTER_ID) is None


async def test_every_issue_is_translated(hass: HomeAssistant) -> None:
    """Each issue this integration raises has a title and a text."""
    strings = await async_get_translations(hass, "en", "issues", [DOMAIN])
    for key in (ML_SERVER_UNAVAILABLE, PAUSE_NOT_CONFIRMED):
        assert strings[f"component.{DOMAIN}.issues.{key}.title"]
        assert strings[f"component.{DOMAIN}.issues.{key}.description"]
    fixable = f"component.{DOMAIN}.issues.{FRAME_UNREACHABLE}"
    assert strings[f"{fixable}.title"]
    assert strings[f"{fixable}.fix_flow.step.ha_url.description"]
    assert f"{fixable}.description" not in strings, "a fix flow has the text"
