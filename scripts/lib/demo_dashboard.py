"""The demo's dashboard: each demo printer's annotated frame, risk, history and controls.

scripts/develop (and the browser tests) add it, after the printers, as a person
adds one in the frontend: a storage-mode dashboard over the websocket API,
created once and its configuration saved at every start. The printers'
entities are found in the entity registry by their unique ids, as the
integration makes them, so that a renamed entity is still found.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from custom_components.obico.const import DOMAIN, KEY_LAST_FRAME, unique_id
from scripts.lib.demo_package import DemoPrinter
from scripts.lib.hass_api import WebSocket

URL_PATH = "obico-demo"
TITLE = "Obico demo"
ICON = "mdi:printer-3d-nozzle-alert"
# The entities of a printer that the dashboard shows, by their keys.
KEYS = (
    KEY_LAST_FRAME,
    "failure_risk",
    "detection_state",
    "detection",
    "sensitivity",
    "not_a_failure",
    "mute_print",
    "failure",
    "alert",
)
# Obico's zones on the failure risk (in %): its alert and pause levels.
SEVERITY = {"green": 0, "yellow": 33.3, "red": 66.7}
HISTORY_HOURS = 1


@dataclass(frozen=True)
class DashboardPrinter:
    """A demo printer and its entity ids, by key."""

    printer: DemoPrinter
    entities: dict[str, str]


async def printer_entity_ids(ws: WebSocket, entry_id: str) -> dict[str, dict[str, str]]:
    """Each printer's entity ids by key, by printer name, once all are registered.

    A printer's entities are registered as its entry reloads, after its flow
    ended; callers bound the wait.
    """
    while True:
        subentries = await ws.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
        registry = {
            entity["unique_id"]: entity["entity_id"]
            for entity in await ws.command("config/entity_registry/list")
            if entity["platform"] == DOMAIN
        }
        try:
            return {
                subentry["title"]: {
                    key: registry[unique_id(subentry["subentry_id"], key)]
                    for key in KEYS
                }
                for subentry in subentries
            }
        except KeyError:
            await asyncio.sleep(0.5)


def dashboard_config(printers: list[DashboardPrinter]) -> dict[str, Any]:
    """One view, a column of cards per printer."""
    return {
        "title": TITLE,
        "views": [
            {
                "title": "Printers",
                "path": "printers",
                "cards": [_printer_card(printer) for printer in printers],
            }
        ],
    }


def _printer_card(printer: DashboardPrinter) -> dict[str, Any]:
    entities = printer.entities
    demo = printer.printer
    return {
        "type": "vertical-stack",
        "cards": [
            {
                "type": "picture-entity",
                "entity": entities[KEY_LAST_FRAME],
                "name": f"{demo.name}: last analyzed frame",
                "show_state": False,
            },
            {
                "type": "gauge",
                "entity": entities["failure_risk"],
                "name": "Failure risk",
                "min": 0,
                "max": 100,
                "severity": SEVERITY,
            },
            {
                "type": "history-graph",
                "title": "Risk and detection",
                "hours_to_show": HISTORY_HOURS,
                "entities": [entities["failure_risk"], entities["detection_state"]],
            },
            {
                "type": "entities",
                "title": f"{demo.name} controls",
                "entities": [
                    entities["detection"],
                    entities["sensitivity"],
                    entities["not_a_failure"],
                    entities["mute_print"],
                    entities["failure"],
                    entities["alert"],
                    {"type": "divider"},
                    demo.status,
                    demo.script("start_a_failing_print"),
                    demo.script("start_a_good_print"),
                ],
            },
        ],
    }


async def save_dashboard(
    ws: WebSocket, entry_id: str, printers: list[DemoPrinter]
) -> str:
    """Create the dashboard unless it exists, and save its cards; its URL path."""
    ids = await printer_entity_ids(ws, entry_id)
    shown = [DashboardPrinter(printer, ids[printer.name]) for printer in printers]
    dashboards = await ws.command("lovelace/dashboards/list")
    if not any(dashboard["url_path"] == URL_PATH for dashboard in dashboards):
        await ws.command(
            "lovelace/dashboards/create",
            url_path=URL_PATH,
            title=TITLE,
            icon=ICON,
            show_in_sidebar=True,
            require_admin=False,
        )
    await ws.command(
        "lovelace/config/save", url_path=URL_PATH, config=dashboard_config(shown)
    )
    return URL_PATH
