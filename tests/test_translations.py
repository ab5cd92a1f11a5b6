"""Every form field, error, entity, state and service is translated."""

from __future__ import annotations

import json
from pathlib import Path
import re
from string import Formatter
from typing import Any

from homeassistant.core import HomeAssistant
import voluptuous as vol
import yaml

from custom_components.obico import config_flow
from custom_components.obico.alerts import Action, Notice
from custom_components.obico.const import DetectionState
from custom_components.obico.event import ALERT
from custom_components.obico.notifications import (
    ANSWER_ON_DEVICE,
    ANSWER_WITH_BUTTONS,
    ANSWERS,
    MESSAGES,
    translation_keys,
)
from custom_components.obico.presets import PRINTER_PRESETS

INTEGRATION = Path(config_flow.__file__).parent
STRINGS: dict[str, Any] = json.loads(
    (INTEGRATION / "translations" / "en.json").read_text()
)
SOURCE = "\n".join(path.read_text() for path in INTEGRATION.glob("*.py"))


def _fields(schema: vol.Schema) -> set[str]:
    return {str(key) for key in schema.schema}


def _assert_step(step: dict[str, Any], fields: set[str]) -> None:
    assert step["title"]
    assert set(step["data"]) == fields
    assert set(step["data_description"]) == fields
    assert all(step["data"].values())
    assert all(step["data_description"].values())


def test_server_forms_are_translated() -> None:
    """The server's forms label and describe every field."""
    steps = STRINGS["config"]["step"]
    server_fields = _fields(config_flow._SERVER_SCHEMA)
    _assert_step(steps["user"], server_fields)
    _assert_step(steps["reconfigure"], server_fields)
    _assert_step(steps["reauth_confirm"], _fields(config_flow._TOKEN_SCHEMA))


def test_printer_forms_are_translated(hass: HomeAssistant) -> None:
    """The printer's forms label and describe every field."""
    steps = STRINGS["config_subentries"]["printer"]["step"]
    # The action that asks for every field: the others ask for fewer.
    printer_fields = _fields(
        config_flow._printer_schema(hass, [], Action.PAUSE_AND_OFF)
    )
    _assert_step(steps["printer"], printer_fields)
    _assert_step(steps["reconfigure"], {"action"})
    _assert_step(steps["user"], _fields(config_flow._PRINTER_START_SCHEMA))


def test_every_error_and_abort_the_code_uses_is_translated() -> None:
    """A form error or abort reason in the code has a message."""
    used = set(re.findall(r'ServerCheckError\(\s*"(\w+)"', SOURCE))
    used |= set(re.findall(r'errors\[[A-Z_]+\] = "(\w+)"', SOURCE))
    server = STRINGS["config"]["error"]
    printer = STRINGS["config_subentries"]["printer"]["error"]
    assert used <= set(server) | set(printer)
    assert "frame_unreachable" in server
    assert "{frame_url}" in server["frame_unreachable"]


def test_selectors_are_translated() -> None:
    """Every option of the translated selectors has a label."""
    selectors = STRINGS["selector"]
    assert set(selectors["preset"]["options"]) == set(PRINTER_PRESETS)
    assert set(selectors["action"]["options"]) == {action.value for action in Action}
    assert set(selectors["feedback"]["options"]) == {"not_a_failure", "failed"}


def test_entities_and_states_are_translated() -> None:
    """Every entity has a name; every detection state has a label and an icon.

    That each entity of the code has its text and icon, and no more, is
    tests/test_translation_keys.py's.
    """
    entities = STRINGS["entity"]
    states = entities["sensor"]["detection_state"]["state"]
    assert set(states) == {state.value for state in DetectionState}
    icons = json.loads((INTEGRATION / "icons.json").read_text())["entity"]
    assert set(icons["sensor"]["detection_state"]["state"]) == set(states)
    for keys in entities.values():
        assert all(entity["name"] for entity in keys.values())


def test_services_are_translated_and_described() -> None:
    """Each service in services.yaml has a name, a description and its fields."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    strings = STRINGS["services"]
    assert set(services) == set(strings)
    for name, service in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        assert set(service.get("fields", {})) == set(strings[name].get("fields", {}))


def _strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [
            item
            for key, value in node.items()
            for item in _strings(value, f"{path}.{key}" if path else key)
        ]
    return [(path, node)] if isinstance(node, str) else []


def test_the_frontend_can_show_every_string() -> None:
    """No text the frontend's message formatter takes for a tag.

    The frontend formats translations as ICU messages: ``<word`` opens a tag,
    and a string with one shows "Translation error: INVALID_TAG" instead.
    """
    assert [
        path for path, text in _strings(STRINGS) if re.search(r"<[A-Za-z/]", text)
    ] == []


def test_errors_are_plain_text() -> None:
    """Form errors are not rendered as Markdown: backticks or stars would show."""
    errors = [
        (path, text)
        for path, text in _strings(STRINGS)
        if re.search(r"\.(error|abort)\.", path)
    ]
    assert errors
    assert [path for path, text in errors if re.search(r"[`*]", text)] == []


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_every_notification_is_worded_in_translations() -> None:
    """A title and a text for each notification, and each answer to them.

    The placeholders are those the code fills in: the printer, the risk, and
    the details the actions give (the entity and the error).
    """
    exceptions = STRINGS["exceptions"]
    keys = [key for message in MESSAGES for key in translation_keys(message)]
    keys += [ANSWER_ON_DEVICE, ANSWER_WITH_BUTTONS]
    assert [key for key in keys if not exceptions.get(key, {}).get("message")] == []
    for key in keys:
        placeholders = _placeholders(exceptions[key]["message"])
        assert placeholders <= {"printer", "risk", "entity_id", "error"}, key
    # Each detection says how bad it looks.
    for notice in Notice:
        _, text = translation_keys(notice)
        assert "{risk}" in exceptions[text]["message"], notice
    # The buttons are named as the printer's buttons they stand for.
    assert set(ANSWERS) <= set(STRINGS["entity"]["button"])


def test_alert_event_types_are_translated_and_have_icons() -> None:
    """Each event type has a label and an icon, as the logbook shows them."""
    assert ALERT.event_types is not None
    event_types = set(ALERT.event_types)
    strings = STRINGS["entity"]["event"]["alert"]["state_attributes"]
    assert set(strings["event_type"]["state"]) == event_types
    assert set(strings["action"]["state"]) == {action.value for action in Action}
    icons = json.loads((INTEGRATION / "icons.json").read_text())["entity"]
    event_icons = icons["event"]["alert"]["state_attributes"]["event_type"]["state"]
    assert set(event_icons) == event_types
