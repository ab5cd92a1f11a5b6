"""Every translation_key the code uses has its text and its icon; no text is unused.

The keys are read from the integration's syntax tree rather than grepped: a key
given as a constant (``KEY_LAST_FRAME``, ``FRAME_UNREACHABLE``, one imported
from ``const``) is resolved to its value, and each use is filed by what takes
it (an entity description, an exception, a repair issue, a selector). A use of
``translation_key`` that cannot be filed or resolved fails the first test, so a
new kind of use cannot slip past the others.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
import json
from pathlib import Path
import subprocess
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest
import voluptuous as vol
import yaml

from custom_components.obico import PLATFORMS, config_flow
from custom_components.obico.notifications import (
    ANSWER_ON_DEVICE,
    ANSWER_WITH_BUTTONS,
    MESSAGES,
    translation_keys,
)
from tests.real_hass import hass_python

INTEGRATION = Path(config_flow.__file__).parent
STRINGS: dict[str, Any] = json.loads(
    (INTEGRATION / "translations" / "en.json").read_text()
)
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text())
SERVICES: dict[str, Any] = yaml.safe_load((INTEGRATION / "services.yaml").read_text())

EXCEPTIONS = frozenset(
    {
        "HomeAssistantError",
        "ServiceValidationError",
        "ConfigEntryError",
        "ConfigEntryAuthFailed",
        "ConfigEntryNotReady",
        "UpdateFailed",
    }
)
OTHER_INTEGRATIONS = frozenset({"EntityPattern"})
"""Takers of another integration's keys (presets.py matches a printer's entities)."""


@dataclass(frozen=True, slots=True)
class Use:
    """One translation_key in the code: what takes it, and where."""

    category: str
    """entity.<platform>, exceptions, issues, selector, or unknown."""
    key: str | None
    """None when the value is no string constant the test can resolve."""
    where: str


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            constants[target.id] = value.value
    return constants


def _imported_names(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Local name -> (our module, its name), for ``from .module import name``."""
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        for alias in node.names
    }


def _parse_integration() -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text(), filename=str(path))
        for path in sorted(INTEGRATION.glob("*.py"))
    }


TREES = _parse_integration()
CONSTANTS = {module: _module_constants(tree) for module, tree in TREES.items()}
PLATFORM_MODULES = frozenset(platform.value for platform in PLATFORMS)


def _resolve(module: str, node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.Name):
        return None
    if node.id in CONSTANTS[module]:
        return CONSTANTS[module][node.id]
    source, name = _imported_names(TREES[module]).get(node.id, ("", ""))
    return CONSTANTS.get(source, {}).get(name)


def _callee(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _category(module: str, callee: str) -> str:
    if callee.endswith("EntityDescription") and module in PLATFORM_MODULES:
        return f"entity.{module}"
    if callee in EXCEPTIONS:
        return "exceptions"
    if callee == "async_create_issue":
        return "issues"
    if callee == "SelectSelectorConfig":
        return "selector"
    return "unknown"


def _uses_in(module: str, tree: ast.Module) -> Iterator[Use]:
    for node in ast.walk(tree):
        where = f"{module}.py:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            callee = _callee(node)
            for keyword in node.keywords:
                if keyword.arg == "translation_key" and callee not in (
                    OTHER_INTEGRATIONS
                ):
                    category = _category(module, callee)
                    yield Use(category, _resolve(module, keyword.value), where)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(
                getattr(target, "id", getattr(target, "attr", None))
                == "_attr_translation_key"
                for target in targets
            ):
                category = (
                    f"entity.{module}" if module in PLATFORM_MODULES else "unknown"
                )
                yield Use(category, _resolve(module, node.value), where)


def _selector_uses_in_services() -> Iterator[Use]:
    def walk(node: Any, where: str) -> Iterator[Use]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "translation_key":
                    yield Use("selector", value, where)
                else:
                    yield from walk(value, f"{where}.{key}")

    yield from walk(SERVICES, "services.yaml")


USES = [
    *(use for module, tree in TREES.items() for use in _uses_in(module, tree)),
    *_selector_uses_in_services(),
]


def _keys(category: str) -> set[str]:
    return {use.key for use in USES if use.category == category and use.key}


def _entity_keys() -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for use in USES:
        if use.category.startswith("entity.") and use.key:
            keys[use.category.removeprefix("entity.")].add(use.key)
    return dict(keys)


def test_every_use_of_translation_key_is_understood() -> None:
    """Each use is resolved to a string and filed: none escapes the checks below."""
    assert [use for use in USES if use.category == "unknown" or not use.key] == []
    # The finder finds: each kind of use is there, constants resolved.
    assert {use.category for use in USES} >= {
        "entity.image",
        "entity.sensor",
        "exceptions",
        "issues",
        "selector",
    }
    assert "last_frame" in _entity_keys()["image"]
    assert {"frame_unreachable", "pause_not_confirmed"} <= _keys("issues")
    assert {"action", "preset", "feedback"} <= _keys("selector")


def test_every_entity_has_a_name_and_an_icon_and_no_text_is_unused() -> None:
    """Per platform, the code's entity keys are those of en.json and icons.json."""
    code = _entity_keys()
    assert set(code) <= PLATFORM_MODULES
    assert {platform: set(keys) for platform, keys in STRINGS["entity"].items()} == (
        code
    )
    assert {platform: set(keys) for platform, keys in ICONS["entity"].items()} == code


def test_every_exception_and_notification_has_a_message() -> None:
    """The exceptions category holds what the code raises and the notifications' texts."""
    notifications = {key for message in MESSAGES for key in translation_keys(message)}
    notifications |= {ANSWER_ON_DEVICE, ANSWER_WITH_BUTTONS}
    assert set(STRINGS["exceptions"]) == _keys("exceptions") | notifications
    assert all(entry["message"] for entry in STRINGS["exceptions"].values())


def test_every_repair_issue_has_a_title_and_a_text() -> None:
    """The issues the code raises, no more; each says what to do.

    Either in its description or, for a fixable one, in the steps of its fix
    flow, which Home Assistant shows instead (never both).
    """
    assert set(STRINGS["issues"]) == _keys("issues")
    for issue in STRINGS["issues"].values():
        assert issue["title"]
        assert ("description" in issue) != ("fix_flow" in issue)
        for step in issue.get("fix_flow", {}).get("step", {}).values():
            assert step["title"]
            assert step["description"]


def test_the_repair_flow_words_every_error_of_the_server_check() -> None:
    """It checks the server as the server form does: all its errors but the ML URL's."""
    fix_flow = STRINGS["issues"]["frame_unreachable"]["fix_flow"]
    assert set(fix_flow["error"]) == set(STRINGS["config"]["error"]) - {"invalid_url"}


def test_every_translated_selector_is_used() -> None:
    """The selectors of the forms and of services.yaml, no more."""
    assert set(STRINGS["selector"]) == _keys("selector")


def test_every_service_has_an_icon() -> None:
    """icons.json names an icon for each service of services.yaml, no more."""
    assert set(ICONS["services"]) == set(SERVICES)


def _mdi(value: Any) -> str:
    icon = cv.string(value)
    if not icon.startswith("mdi:"):
        raise vol.Invalid("an icon is mdi:<name>")
    return icon


_STATES = cv.schema_with_slug_keys(_mdi, slug_validator=cv.slug)
_ENTITY_ICONS = {
    vol.Optional("default"): _mdi,
    vol.Optional("state"): _STATES,
    vol.Optional("state_attributes"): cv.schema_with_slug_keys(
        {vol.Optional("default"): _mdi, vol.Optional("state"): _STATES},
        slug_validator=cv.slug,
    ),
}
ICONS_SCHEMA = vol.Schema(
    {
        vol.Optional("entity"): cv.schema_with_slug_keys(
            cv.schema_with_slug_keys(_ENTITY_ICONS, slug_validator=cv.slug),
            slug_validator=cv.slug,
        ),
        vol.Optional("services"): cv.schema_with_slug_keys(
            {
                vol.Required("service"): _mdi,
                vol.Optional("sections"): _STATES,
            },
            slug_validator=cv.slug,
        ),
    }
)
"""The shape Home Assistant's hassfest accepts for an integration's icons.json."""


def _icon_sets() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each entity's icons, and those of each of its attributes."""
    for platform, entities in ICONS["entity"].items():
        for key, icons in entities.items():
            yield f"{platform}.{key}", icons
            for attribute, attribute_icons in icons.get("state_attributes", {}).items():
                yield f"{platform}.{key}.{attribute}", attribute_icons


def test_icons_follow_home_assistants_schema() -> None:
    """Valid for hassfest; a state's icon is not the default it would get anyway."""
    ICONS_SCHEMA(ICONS)
    assert [
        (where, state)
        for where, icons in _icon_sets()
        for state, icon in icons.get("state", {}).items()
        if icon == icons.get("default")
    ] == []


def _state_translations(platform: str, key: str, attribute: str | None) -> set[str]:
    strings = STRINGS["entity"][platform][key]
    if attribute is not None:
        strings = strings["state_attributes"][attribute]
    return set(strings.get("state", {}))


def test_state_icons_are_for_states_the_entity_has() -> None:
    """A state icon names a translated state, or on/off of a two-state entity."""
    for platform, entities in ICONS["entity"].items():
        for key, icons in entities.items():
            states = _state_translations(platform, key, None)
            if platform in ("binary_sensor", "switch"):
                states |= {"on", "off"}
            assert set(icons.get("state", {})) <= states, (platform, key)
            for attribute, attribute_icons in icons.get("state_attributes", {}).items():
                attribute_states = _state_translations(platform, key, attribute)
                assert set(attribute_icons["state"]) <= attribute_states


def _all_icons() -> Iterator[str]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, str):
            yield node

    yield from walk(ICONS)


@pytest.fixture(scope="module")
def mdi_names() -> set[str]:
    """The Material Design Icons the frontend of the leg's real `hass` draws.

    The newest leg's test environment has no frontend; the real `hass` it runs
    beside (OBICO_HASS_PYTHON) has, and that is the one users see.
    """
    where = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [hass_python(), "-c", "import hass_frontend; print(hass_frontend.where())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    icon_list = Path(where) / "static" / "mdi" / "iconList.json"
    return {icon["name"] for icon in json.loads(icon_list.read_text())}


def test_every_icon_exists(mdi_names: set[str]) -> None:
    """A misspelt icon shows as a blank square: each one is in the frontend's list."""
    icons = set(_all_icons())
    assert len(mdi_names) > 5000
    assert {icon for icon in icons if icon.removeprefix("mdi:") not in mdi_names} == (
        set()
    )
