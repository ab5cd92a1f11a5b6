"""Every panel of the frontend loads after onboarding.

A fresh Home Assistant, onboarded as scripts/develop onboards it: each panel
the sidebar lists, and the developer tools, render without an endless
"Loading data", an error screen or an error card.
"""

from __future__ import annotations

import pytest

from scripts.lib.demo_stack import DemoStack
from tests.browser.conftest import OWNER, Frontend
from tests.browser.frontend import expect_panel_loaded, log_in
from tests.real_hass import STARTUP_TIMEOUT

# The panels that onboarding and scripts/develop's configuration give at the least.
GIVEN_PANELS = ("/history", "/logbook", "/config", "/profile")


@pytest.mark.timeout(STARTUP_TIMEOUT + 600)
async def test_every_panel_loads_after_onboarding(
    stack: DemoStack, frontend: Frontend
) -> None:
    """Open each sidebar panel as a person does, by clicking it; then the tools."""
    from playwright.async_api import expect

    page, shots = frontend.page, frontend.shots
    await log_in(page, stack.hass.url, OWNER)
    sidebar = page.locator("ha-sidebar")
    # The sidebar fills in as the panel list and the user arrive over the
    # websocket: wait for the given panels before reading it.
    for href in GIVEN_PANELS:
        await expect(sidebar.locator(f'a[href="{href}"]')).to_be_attached()
    panels = [
        href
        for link in await sidebar.get_by_role("link").all()
        if (href := await link.get_attribute("href"))
    ]
    assert set(GIVEN_PANELS) <= set(panels)

    for href in panels:
        await sidebar.locator(f'a[href="{href}"]').click()
        await page.wait_for_url(f"**{href}**")
        element = await expect_panel_loaded(page)
        await shots.take(page, f"panel{href.replace('/', '-')}")
        frontend.note(f"{href}: <{element}> at {page.url}")
    # The developer tools, which newer releases keep under Settings.
    await page.goto(f"{stack.hass.url}/developer-tools/state")
    element = await expect_panel_loaded(page)
    frontend.note(f"developer tools: <{element}> at {page.url}")
    # Its states table lists the demo printer's entities.
    status = page.get_by_text(stack.printers[0].status, exact=True)
    await expect(status.first).to_be_visible()
    await shots.take(page, "developer-tools")

    assert frontend.page_errors == []
