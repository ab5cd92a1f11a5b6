"""The config flow in the real frontend: a person adds the server, then a printer.

Logged in to Home Assistant's own frontend in headless Chromium, the test adds
the integration through Settings → Devices & services, fills in the server
form (first with addresses that cannot work, to see the errors), then the
printer forms with the entity pickers, and finds the printer's device with its
entities; a print started, the device page shows its last analyzed frame. Each step is a screenshot (tests/browser/frontend.py says where).

The labels come from the integration's translations, so that a label shown as
a raw key, or not at all, fails the test. What a person should find easy
(short errors in view, the way on to the printer) is checked to the end and
reported together.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.obico.const import KEY_LAST_FRAME
from scripts.demo_printer import FRAME_SIZE
from scripts.lib.demo_package import DemoPrinter, camera_flow
from scripts.lib.demo_stack import FLOWS, DemoStack
from tests.browser.conftest import OWNER, PRINTER, Frontend
from tests.browser.frontend import STRINGS, add_states, log_in, pick_entity
from tests.browser.last_frame import (
    entity_ids,
    good_print_with_a_frame,
    open_last_frame_on_device_page,
)
from tests.obico_ml_server import free_port
from tests.real_hass import STARTUP_TIMEOUT

if TYPE_CHECKING:
    from playwright.async_api import Locator

SERVER = STRINGS["config"]["step"]["user"]
PRINTER_FLOW = STRINGS["config_subentries"]["printer"]
FIRST_STEP = PRINTER_FLOW["step"]["user"]
DETAILS = PRINTER_FLOW["step"]["printer"]
PRESETS = STRINGS["selector"]["preset"]["options"]
ACTIONS = STRINGS["selector"]["action"]["options"]
# The printer's entities that are enabled by default, as its device page names them.
ENTITY_NAMES = [
    STRINGS["entity"][platform][key]["name"]
    for platform, key in (
        ("sensor", "failure_risk"),
        ("sensor", "detection_state"),
        ("binary_sensor", "failure"),
        ("switch", "detection"),
        ("button", "mute_print"),
        ("button", "not_a_failure"),
        ("sensor", "frames_analyzed"),
    )
]
# Short enough to take in at a glance: about three lines of the dialog.
SHORT_ERROR = 200


@pytest.mark.timeout(STARTUP_TIMEOUT + 600)
async def test_a_person_adds_the_server_and_a_printer_in_the_frontend(
    stack: DemoStack, frontend: Frontend
) -> None:
    """Server form with its errors, printer forms with pickers, then the device."""
    printer = stack.printers[0]
    # The printer's camera: another integration's entry, added as in scripts/develop.
    await stack.hass.flow(FLOWS, {"handler": "mjpeg"}, camera_flow(printer))

    await log_in(frontend.page, stack.hass.url, OWNER)
    await frontend.shots.take(frontend.page, "logged-in")
    problems = await add_server(frontend, stack)
    add_printer = await open_integration(frontend)
    await check_first_step(frontend, add_printer)
    await add_demo_printer(frontend, add_printer, printer)
    await check_device(frontend)
    (entry,) = await stack.hass.entries("obico")
    last_frame = (await entity_ids(stack, entry["entry_id"]))[KEY_LAST_FRAME]
    await good_print_with_a_frame(stack, last_frame)
    width = await open_last_frame_on_device_page(frontend, stack, last_frame)
    assert width == FRAME_SIZE[0]

    (entry,) = await stack.hass.entries("obico")
    assert entry["state"] == "loaded"
    assert entry["num_subentries"] == 1
    (subentry,) = await saved_subentries(stack, entry["entry_id"])
    assert subentry["title"] == PRINTER
    assert subentry["data"] == {
        "action": "pause",
        "frame_entity": printer.camera,
        "print_state_entity": printer.status,
        "printing_states": ["printing"],
        "paused_states": ["paused"],
        "pause_entity": printer.pause_button,
        "sensitivity": 1.0,
        "interval": 10,
    }
    assert frontend.page_errors == []
    assert not problems, "\n".join(problems)


async def add_server(frontend: Frontend, stack: DemoStack) -> list[str]:
    """Settings → Devices & services → Add integration → the server form.

    Two addresses that cannot work come first; what is wrong with their errors
    is returned.
    """
    from playwright.async_api import expect

    page, shots = frontend.page, frontend.shots
    await page.locator("ha-sidebar").get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    await expect(page.get_by_role("button", name="Add integration")).to_be_visible()
    await shots.take(page, "devices-and-services")
    await page.get_by_role("button", name="Add integration").click()
    brands = page.locator("dialog-add-integration")
    await brands.get_by_role("textbox").fill("Obico")
    await expect(brands.get_by_text("Obico Failure Detection")).to_be_visible()
    await shots.take(page, "add-integration")
    await brands.get_by_text("Obico Failure Detection").click()

    flow = page.locator("dialog-data-entry-flow")
    await expect(flow.get_by_text(SERVER["title"])).to_be_visible()
    await shots.take(page, "server-form")
    ml_url = flow.get_by_role("textbox", name=SERVER["data"]["ml_url"])
    ha_url = flow.get_by_role("textbox", name=SERVER["data"]["ha_url"])
    # Nothing answers at the ML URL.
    nowhere = f"http://127.0.0.1:{free_port()}"
    await ml_url.fill(nowhere)
    await ha_url.fill(stack.hass.url)
    problems = await server_error(frontend, nowhere, "server-error-nothing-answers")
    # The ML server answers, but cannot fetch frames where it is told to.
    wrong_ha_url = f"http://127.0.0.1:{free_port()}"
    await ml_url.fill(stack.ml_url)
    await ha_url.fill(wrong_ha_url)
    problems += await server_error(
        frontend, wrong_ha_url, "server-error-frame-unreachable"
    )

    await ha_url.fill(stack.hass.url)
    await flow.get_by_role("button", name="Submit").click()
    await expect(flow.get_by_text("Success")).to_be_visible()
    # The success dialog sends the user on to the printer, Markdown rendered.
    done = STRINGS["config"]["create_entry"]["default"].replace("**", "")
    await expect(flow).to_contain_text(done)
    await shots.take(page, "server-added")
    await flow.get_by_role("button", name="Finish").click()
    return problems


async def server_error(frontend: Frontend, url: str, step: str) -> list[str]:
    """Submit the server form, which fails; what is wrong with its error."""
    from playwright.async_api import expect

    flow = frontend.page.locator("dialog-data-entry-flow")
    submit = flow.get_by_role("button", name="Submit")
    error = flow.locator("ha-alert[alert-type=error]")
    before = await error.inner_text() if await error.count() else None
    await submit.click()
    if before is None:
        await expect(error).to_be_visible()
    else:
        await expect(error).not_to_have_text(before)
    await frontend.shots.take(frontend.page, step)
    text = " ".join((await error.inner_text()).split())
    error_box = await error.bounding_box()
    button_box = await submit.bounding_box()
    assert error_box is not None
    assert button_box is not None
    gap = button_box["y"] - error_box["y"] - error_box["height"]
    frontend.note(f"{step}: {gap:.0f} px above the Submit button: {text!r}")

    problems = []
    if "Translation error" in text:
        problems.append(f"{step}.png: the frontend cannot show the error: {text!r}")
    elif url not in text:
        problems.append(f"{step}.png: the error does not name {url}: {text!r}")
    if len(text) > SHORT_ERROR:
        problems.append(f"{step}.png: the error is {len(text)} characters long")
    if re.search(r"[`*]", text):
        problems.append(f"{step}.png: Markdown shown as it is: {text!r}")
    if re.search(r"\{\w+\}|component\.obico\.", text):
        problems.append(f"{step}.png: a placeholder or key shown: {text!r}")
    for element in (error, submit):
        try:
            # Both are on screen at once when all is well; the wait only
            # lets a slow machine finish laying the dialog out.
            await expect(element).to_be_in_viewport(timeout=10_000)
        except AssertionError:
            problems.append(f"{step}.png: the error and Submit are not both in view")
    return problems


async def open_integration(frontend: Frontend) -> Locator:
    """The integration's page, where the server's entry is; its Add printer button."""
    from playwright.async_api import expect

    page = frontend.page
    frontend.note(f"after the server's Finish: {page.url}")
    if not page.url.endswith("/config/integrations/integration/obico"):
        await page.get_by_text("Obico Failure Detection").first.click()
    add_printer = page.get_by_role("button", name=PRINTER_FLOW["initiate_flow"]["user"])
    await expect(add_printer).to_be_visible()
    await frontend.shots.take(page, "integration-page")
    return add_printer


async def check_first_step(frontend: Frontend, add_printer: Locator) -> None:
    """Step 1 introduces the flow and leads on; power-off fields come with power-off."""
    from playwright.async_api import expect

    page = frontend.page
    flow = page.locator("dialog-data-entry-flow")
    await add_printer.click()
    await expect(flow.get_by_text(FIRST_STEP["title"])).to_be_visible()
    await expect(flow.get_by_text(FIRST_STEP["description"])).to_be_visible()
    await expect(flow.get_by_role("button", name="Next")).to_be_visible()
    await expect(flow.get_by_role("button", name="Submit")).to_have_count(0)
    await frontend.shots.take(page, "printer-first-step")

    await choose_first_step(flow, PRESETS["custom"], ACTIONS["pause_and_off"])
    delay = flow.get_by_role("spinbutton", name=DETAILS["data"]["power_off_delay"])
    await delay.scroll_into_view_if_needed()
    await expect(delay).to_be_visible()
    power_switch = re.compile(f"^{re.escape(DETAILS['data']['power_switch'])} ")
    await expect(flow.get_by_role("button", name=power_switch)).to_be_visible()
    await frontend.shots.take(page, "printer-details-power-off")
    await flow.get_by_role("button", name="Close").click()
    await expect(flow.get_by_text(DETAILS["title"])).to_have_count(0)


async def add_demo_printer(
    frontend: Frontend, add_printer: Locator, printer: DemoPrinter
) -> None:
    """The printer flow with "pause the print": the pickers, then Submit."""
    from playwright.async_api import expect

    page = frontend.page
    flow = page.locator("dialog-data-entry-flow")
    data = DETAILS["data"]
    await add_printer.click()
    await choose_first_step(flow, PRESETS["custom"], ACTIONS["pause"])
    await expect(flow.get_by_text(DETAILS["description"])).to_be_visible()
    for power_field in ("power_off_delay", "power_switch"):
        await expect(flow.get_by_text(data[power_field])).to_have_count(0)
    await frontend.shots.take(page, "printer-details")

    await flow.get_by_role("textbox", name=data["name"]).fill(PRINTER)
    await pick_entity(flow, data["frame_entity"], PRINTER, printer.camera_name)
    await pick_entity(flow, data["print_state_entity"], PRINTER, f"{PRINTER} status")
    await add_states(flow, data["printing_states"], "printing")
    await add_states(flow, data["paused_states"], "paused")
    await pick_entity(flow, data["pause_entity"], PRINTER, f"{PRINTER} pause")
    await flow.get_by_role("textbox", name=data["name"]).scroll_into_view_if_needed()
    await frontend.shots.take(page, "printer-details-filled")
    await check_sensitivity(flow)
    await frontend.shots.take(page, "printer-sensitivity")
    await flow.get_by_role("button", name="Submit").click()
    await expect(
        flow.get_by_text(f"Created configuration for {PRINTER}")
    ).to_be_visible()
    await frontend.shots.take(page, "printer-added")
    await flow.get_by_role("button", name="Finish").click()


async def choose_first_step(flow: Locator, preset: str, action: str) -> None:
    """Fill the printer flow's first step and go on to the details."""
    from playwright.async_api import expect

    await flow.get_by_role("radio", name=preset, exact=True).check()
    await flow.get_by_role("radio", name=action, exact=True).check()
    await flow.get_by_role("button", name="Next").click()
    await expect(flow.get_by_text(DETAILS["title"])).to_be_visible()


async def check_sensitivity(flow: Locator) -> None:
    """A slider at 1.0 that spans Obico's 0.8 to 1.2 and moves by 0.05."""
    from playwright.async_api import expect

    slider = flow.get_by_role("slider")
    await slider.scroll_into_view_if_needed()
    await expect(slider).to_have_attribute("aria-valuenow", "1")
    assert float(await slider.get_attribute("aria-valuemin") or "nan") <= 0.8
    assert float(await slider.get_attribute("aria-valuemax") or "nan") >= 1.2
    assert await flow.locator("ha-slider").evaluate("slider => slider.step") == 0.05
    await slider.press("ArrowRight")
    await expect(slider).to_have_attribute("aria-valuenow", "1.05")
    await slider.press("ArrowLeft")
    await expect(slider).to_have_attribute("aria-valuenow", "1")


async def check_device(frontend: Frontend) -> None:
    """From the integration's page to the printer's device, with its entities."""
    from playwright.async_api import expect

    page = frontend.page
    await page.get_by_role("button", name=re.compile(f"^{PRINTER} .*entities")).click()
    await expect(page.get_by_text(PRINTER, exact=True).first).to_be_visible()
    for name in ENTITY_NAMES:
        await expect(page.get_by_text(name, exact=True)).to_be_visible()
    await frontend.shots.take(page, "printer-device")


async def saved_subentries(stack: DemoStack, entry_id: str) -> list[dict[str, Any]]:
    """The entry's subentries as Home Assistant saved them (it saves after a delay)."""
    saved = stack.config / ".storage" / "core.config_entries"
    async with asyncio.timeout(30):
        while True:
            if saved.exists():
                for entry in json.loads(saved.read_text())["data"]["entries"]:
                    if entry["entry_id"] == entry_id and entry["subentries"]:
                        subentries: list[dict[str, Any]] = entry["subentries"]
                        return subentries
            await asyncio.sleep(0.5)
