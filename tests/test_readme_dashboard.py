"""The README's dashboard card and entity list, read from it and held to the integration.

The README's examples are for a printer named X1C, as the test printer is.
"""

from __future__ import annotations

from collections.abc import Iterator
import re
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.alerts import Level
from custom_components.obico.prediction import (
    FAILURE_RISK,
    INIT_SAFE_FRAME_NUM,
    THRESHOLD_HIGH,
    THRESHOLD_LOW,
    WARNING_RISK,
    PredictionState,
)
from tests.conftest import PRINTER_ID, printer_device
from tests.readme import section, yaml_blocks

PRINTER = "x1c"
RISK_RESOLUTION = 0.01
"""The failure risk sensor's state has two decimals."""
# The card types of Home Assistant's own dashboards that the card uses.
CORE_CARDS = {"vertical-stack", "picture-entity", "gauge", "history-graph", "entities"}
# The gauge card's colour for each level, as the README promises it.
GAUGE_COLOURS = {Level.SAFE: "green", Level.WARNING: "yellow", Level.FAILURE: "red"}


def readme_card() -> dict[str, Any]:
    """The one card under the README's "Dashboard" heading."""
    [card] = yaml_blocks("Dashboard")
    assert isinstance(card, dict)
    return card


def cards(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The card and every card in it."""
    yield card
    for inner in card.get("cards", []):
        yield from cards(inner)


def entity_ids(card: dict[str, Any]) -> set[str]:
    """The entity ids a card and the cards in it name."""
    named: set[str] = set()
    for each in cards(card):
        if "entity" in each:
            named.add(each["entity"])
        for row in each.get("entities", []):
            named.add(row if isinstance(row, str) else row["entity"])
    return named


def gauge(card: dict[str, Any]) -> dict[str, Any]:
    """The card's one gauge."""
    [found] = [each for each in cards(card) if each["type"] == "gauge"]
    return found


def gauge_colour(severity: dict[str, float], value: float) -> str:
    """The colour the gauge card draws ``value`` in: its highest zone at or below."""
    return max((start, colour) for colour, start in severity.items() if value >= start)[
        1
    ]


def printer_entity_ids(hass: HomeAssistant) -> set[str]:
    """Every entity of the test printer, enabled or not."""
    device = printer_device(hass)
    assert device is not None
    return {
        entry.entity_id
        for entry in er.async_entries_for_device(
            er.async_get(hass), device.id, include_disabled_entities=True
        )
    }


def test_the_card_is_one_card_of_home_assistants_own() -> None:
    """It parses, and needs nothing from HACS."""
    card = readme_card()
    assert {each["type"] for each in cards(card)} == CORE_CARDS


async def test_each_entity_the_card_names_is_the_printers_and_available(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """For a printer named X1C, as in the README; none of them disabled."""
    assert loaded_entry.subentries[PRINTER_ID].title.lower() == PRINTER
    named = entity_ids(readme_card())
    assert named <= printer_entity_ids(hass)
    for entity_id in named:
        state = hass.states.get(entity_id)
        assert state is not None, f"{entity_id} is disabled by default"
        assert state.state != STATE_UNAVAILABLE, entity_id


async def test_the_card_shows_the_frame_the_risk_and_the_controls(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """What issue 8 asks of it: the frame, the gauge, a history, the controls."""
    card = readme_card()
    [picture] = [each for each in cards(card) if each["type"] == "picture-entity"]
    assert picture["entity"] == f"image.{PRINTER}_last_analyzed_frame"
    assert gauge(card)["entity"] == f"sensor.{PRINTER}_failure_risk"
    [history] = [each for each in cards(card) if each["type"] == "history-graph"]
    assert set(history["entities"]) == {
        f"sensor.{PRINTER}_failure_risk",
        f"sensor.{PRINTER}_detection_state",
    }
    [controls] = [each for each in cards(card) if each["type"] == "entities"]
    assert {
        f"switch.{PRINTER}_detection",
        f"number.{PRINTER}_sensitivity",
        f"button.{PRINTER}_not_a_failure",
        f"button.{PRINTER}_mute_this_print",
        f"binary_sensor.{PRINTER}_failure",
    } <= set(controls["entities"])


def test_the_gauges_zones_are_the_integrations_thresholds() -> None:
    """Amber from the warning threshold, red from the failure threshold, in %."""
    severity = gauge(readme_card())["severity"]
    assert severity == {
        "green": 0,
        "yellow": pytest.approx(WARNING_RISK * 100, abs=RISK_RESOLUTION / 2),
        "red": pytest.approx(FAILURE_RISK * 100, abs=RISK_RESOLUTION / 2),
    }


@pytest.mark.parametrize(
    "score",
    [
        0.0,
        THRESHOLD_LOW * 0.99,
        THRESHOLD_LOW * 1.01,
        THRESHOLD_LOW * 1.7,
        THRESHOLD_LOW * 1.8,
        THRESHOLD_HIGH * 2,
    ],
)
async def test_the_gauge_colours_the_risk_the_sensor_shows_as_the_level_it_is(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, score: float
) -> None:
    """Each side of each threshold, by the printer's own risk and verdict."""
    printer = loaded_entry.runtime_data.printers[PRINTER_ID]
    printer.verdict.prediction = PredictionState(
        current_frame_num=INIT_SAFE_FRAME_NUM, ewm_mean=score
    )
    severity = gauge(readme_card())["severity"]
    assert gauge_colour(severity, printer.risk()) == GAUGE_COLOURS[printer.level()]


async def test_the_entity_table_lists_every_entity_of_a_printer(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Disabled ones too; and no entity the integration does not have."""
    listed = re.findall(
        r"^\| `([a-z_]+\.)<printer>(_[a-z_]+)` \|", section("Entities"), re.M
    )
    assert {f"{domain}{PRINTER}{name}" for domain, name in listed} == (
        printer_entity_ids(hass)
    )
