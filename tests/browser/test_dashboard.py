"""The demo's dashboard in the real frontend: a printer's frame, risk, history, controls.

scripts/develop's stack, printers and dashboard added as it adds them (the
dashboard twice, as at a second start), a good print started: the printer's
device page shows its last analyzed frame, and the "Obico demo" dashboard,
opened from the sidebar, renders each card with what it shows, and its Run
button starts a failing print. Each step is a screenshot
(tests/browser/frontend.py says where).
"""

from __future__ import annotations

import asyncio
import re

import pytest

from custom_components.obico.const import KEY_LAST_FRAME
from scripts.demo_printer import FRAME_SIZE
from scripts.lib.demo_dashboard import TITLE, URL_PATH
from scripts.lib.demo_stack import DemoStack
from tests.browser.conftest import OWNER, Frontend
from tests.browser.frontend import (
    STRINGS,
    expect_panel_loaded,
    expect_picture_loaded,
    log_in,
)
from tests.browser.last_frame import (
    entity_ids,
    good_print_with_a_frame,
    open_last_frame_on_device_page,
)
from tests.real_hass import STARTUP_TIMEOUT

SETUP_TIMEOUT = 120
SCRIPT_TIMEOUT = 30
# The controls' rows, as the entities card names them.
CONTROLS = [
    STRINGS["entity"][platform][key]["name"]
    for platform, key in (
        ("switch", "detection"),
        ("number", "sensitivity"),
        ("button", "not_a_failure"),
        ("button", "mute_print"),
        ("binary_sensor", "failure"),
        ("event", "alert"),
    )
] + ["start a failing print", "start a good print"]


@pytest.mark.timeout(STARTUP_TIMEOUT + 600)
async def test_the_demo_dashboard_shows_the_frame_risk_history_and_controls(
    stack: DemoStack, frontend: Frontend
) -> None:
    """The device page's last frame, then every card of the dashboard, loaded."""
    from playwright.async_api import expect

    page, shots = frontend.page, frontend.shots
    async with asyncio.timeout(SETUP_TIMEOUT):
        entry_id = await stack.add_entries()
        for _ in range(2):
            assert await stack.add_dashboard(entry_id) == URL_PATH
    last_frame = (await entity_ids(stack, entry_id))[KEY_LAST_FRAME]
    await good_print_with_a_frame(stack, last_frame)

    await log_in(page, stack.hass.url, OWNER)
    width = await open_last_frame_on_device_page(frontend, stack, last_frame)
    assert width == FRAME_SIZE[0]

    await page.locator("ha-sidebar").get_by_role("link", name=TITLE).click()
    await page.wait_for_url(f"**/{URL_PATH}/**")
    await expect_panel_loaded(page)
    picture = page.locator("hui-picture-entity-card img")
    assert await expect_picture_loaded(picture) == FRAME_SIZE[0]
    await expect(page.locator("hui-gauge-card ha-gauge")).to_be_visible()
    history = page.locator("hui-history-graph-card")
    await expect(history).to_be_visible()
    await expect(history.get_by_text("No state history found")).to_have_count(0)
    await expect(history.locator("canvas, svg").first).to_be_visible()
    controls = page.locator("hui-entities-card")
    for name in CONTROLS:
        row = controls.get_by_text(re.compile(re.escape(name)))
        await expect(row.first).to_be_visible()
    await shots.take(page, "dashboard", settled=True)
    await controls.scroll_into_view_if_needed()
    await shots.take(page, "dashboard-controls", settled=True)
    frontend.note(f"dashboard at {page.url}")

    # Its first Run starts a failing print on the demo printer.
    await controls.get_by_role("button", name="Run").first.click()
    async with asyncio.timeout(SCRIPT_TIMEOUT):
        await print_started(stack, "failing")

    assert frontend.page_errors == []


async def print_started(stack: DemoStack, outcome: str) -> None:
    """Wait until the demo printer itself prints with ``outcome``."""
    status = f"{stack.printers[0].base_url}/status"
    while True:
        async with stack.hass.session.get(status) as answer:
            answer.raise_for_status()
            if (await answer.json())["outcome"] == outcome:
                return
        await asyncio.sleep(0.5)
