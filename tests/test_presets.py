"""Printer presets: each integration's states, and its entities found on its device.

The rules are tested on their own first. Then the printer flow runs against
devices built as each integration builds them: its config entry, its device,
and its entities in the entity registry with the platform, unique id,
translation key and name that integration gives them (read from its source:
ha-bambulab, moonraker-home-assistant, Home Assistant's octoprint and
prusalink, elegoo-homeassistant), among entities of the same device that must
not be taken for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, SubentryFlowResult
from homeassistant.const import CONF_DEVICE_ID, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_INTERVAL,
    CONF_JOB_ENTITY,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_PRESET,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    SUBENTRY_PRINTER,
)
from custom_components.obico.presets import (
    PRINTER_PRESETS,
    EntityPattern,
    PrinterEntities,
    find_entities,
)
from tests.test_config_flow import (
    schema_of,
    select_options,
    submit_printer,
    suggested_values,
)

# The rules on their own


@dataclass(frozen=True)
class Entity:
    """An entity registry entry, as much of it as the rules read."""

    entity_id: str
    platform: str
    unique_id: str
    translation_key: str | None = None

    @property
    def domain(self) -> str:
        """The domain of the entity id, as the registry derives it."""
        return self.entity_id.split(".")[0]


BAMBU = PRINTER_PRESETS["bambu_lab"]


def test_a_pattern_needs_its_domain_and_every_key_it_gives() -> None:
    """Domain, translation key and unique id must all agree."""
    pattern = EntityPattern(
        domain="sensor", translation_key="print_status", unique_id=r"_print_status$"
    )
    assert pattern.matches(
        Entity("sensor.renamed", "bambu_lab", "01S_print_status", "print_status")
    )
    assert not pattern.matches(
        Entity("select.renamed", "bambu_lab", "01S_print_status", "print_status")
    )
    assert not pattern.matches(
        Entity("sensor.renamed", "bambu_lab", "01S_print_status", "stage")
    )
    assert not pattern.matches(
        Entity("sensor.renamed", "bambu_lab", "01S_print_status_2", "print_status")
    )
    assert EntityPattern(domain="camera").matches(
        Entity("camera.any", "octoprint", "uid")
    )


def test_the_first_pattern_wins_whatever_the_registration_order() -> None:
    """A Bambu camera entity is preferred to its image entity."""
    entities = [
        Entity("image.p1s_camera", "bambu_lab", "01S_p1p_camera", "p1p_camera"),
        Entity("camera.p1s_camera", "bambu_lab", "01S_camera", "camera"),
    ]
    assert find_entities(BAMBU, entities).frame == "camera.p1s_camera"
    assert find_entities(BAMBU, entities[:1]).frame == "image.p1s_camera"


def test_entities_of_other_integrations_on_the_device_are_ignored() -> None:
    """A template sensor attached to the printer's device is not the printer's."""
    entities = [
        Entity("sensor.mine", "template", "t_print_status", "print_status"),
        Entity("button.mine", "template", "t_pause", "pause"),
    ]
    assert find_entities(BAMBU, entities) == PrinterEntities()
    assert not BAMBU.owns(entities)
    assert BAMBU.owns([*entities, Entity("sensor.p1s_stage", "bambu_lab", "01S_stage")])


def test_other_owns_no_device_and_finds_nothing() -> None:
    """Other has no integration: no device is its, no entity is found."""
    other = PRINTER_PRESETS["custom"]
    entities = [Entity("sensor.p1s", "bambu_lab", "01S_print_status", "print_status")]
    assert other.integration is None
    assert not other.owns(entities)
    assert find_entities(other, entities) == PrinterEntities()


def test_each_preset_names_its_integration_and_states_that_can_be_saved() -> None:
    """The integration domains are the real ones; no state is both printing and paused."""
    assert {key: preset.integration for key, preset in PRINTER_PRESETS.items()} == {
        "bambu_lab": "bambu_lab",
        "moonraker": "moonraker",
        "octoprint": "octoprint",
        "prusalink": "prusalink",
        "elegoo": "elegoo_printer",
        "custom": None,
    }
    for preset in PRINTER_PRESETS.values():
        assert not set(preset.printing_states) & set(preset.paused_states)


# Devices as each integration builds them


@dataclass(frozen=True)
class Registered:
    """An entity as its integration registers it; "{id}" is the device's id."""

    entity_id: str
    unique_id: str
    translation_key: str | None = None
    original_name: str | None = None
    has_entity_name: bool = True
    disabled: bool = False


@dataclass(frozen=True)
class PrinterDevice:
    """A printer's device in its own integration, and what should be found on it."""

    preset: str
    integration: str
    # The integration's id of the device: a serial, or its config entry's id.
    device_id: str | None
    name: str
    entities: list[Registered]
    found: dict[str, str] = field(default_factory=dict)
    # The print-state entity's state while the printer is idle.
    idle: str = "idle"


BAMBU_SERIAL = "00M09A350100123"
OCTOPRINT_UUID = "b1c53ac7-5bd4-4e8b-a4b3-8a3b5e2d7c10"
ELEGOO_ID = "f25273b12b094c5a8b9513a30ca60049"

# ha-bambulab: unique ids "<serial>_<key>", names from translation keys, the
# device named "<model>_<serial>". An X1C streams RTSP: a camera entity.
BAMBU_X1C = PrinterDevice(
    preset="bambu_lab",
    integration="bambu_lab",
    device_id=BAMBU_SERIAL,
    name=f"X1C_{BAMBU_SERIAL}",
    entities=[
        Registered(
            "switch.x1c_00m09a350100123_camera", "{id}_camera", "camera", "Camera"
        ),
        Registered(
            "image.x1c_00m09a350100123_cover_image",
            "{id}_cover_image",
            "cover_image",
            "Cover image",
        ),
        Registered(
            "button.x1c_00m09a350100123_resume", "{id}_resume", "resume", "Resume"
        ),
        Registered("button.x1c_00m09a350100123_pause", "{id}_pause", "pause", "Pause"),
        Registered(
            "sensor.x1c_00m09a350100123_current_stage",
            "{id}_stage",
            "stage",
            "Current stage",
        ),
        Registered(
            "sensor.x1c_00m09a350100123_print_status",
            "{id}_print_status",
            "print_status",
            "Print status",
        ),
        Registered(
            "sensor.x1c_00m09a350100123_gcode_filename",
            "{id}_gcode_file",
            "gcode_file",
            "Gcode filename",
        ),
        Registered(
            "sensor.x1c_00m09a350100123_task_name",
            "{id}_subtask_name",
            "subtask_name",
            "Task name",
        ),
        Registered(
            "camera.x1c_00m09a350100123_camera", "{id}_camera", "camera", "Camera"
        ),
    ],
    found={
        CONF_FRAME_ENTITY: "camera.x1c_00m09a350100123_camera",
        CONF_PRINT_STATE_ENTITY: "sensor.x1c_00m09a350100123_print_status",
        CONF_PAUSE_ENTITY: "button.x1c_00m09a350100123_pause",
        CONF_JOB_ENTITY: "sensor.x1c_00m09a350100123_task_name",
    },
)
# A P1S with the "image sensor camera" option: the chamber image entity.
BAMBU_P1S = PrinterDevice(
    preset="bambu_lab",
    integration="bambu_lab",
    device_id="01P00A391800456",
    name="P1S_01P00A391800456",
    entities=[
        Registered(
            "image.p1s_01p00a391800456_cover_image",
            "{id}_cover_image",
            "cover_image",
            "Cover image",
        ),
        Registered(
            "image.p1s_01p00a391800456_camera",
            "{id}_p1p_camera",
            "p1p_camera",
            "Camera",
        ),
        Registered(
            "sensor.p1s_01p00a391800456_print_status",
            "{id}_print_status",
            "print_status",
            "Print status",
        ),
    ],
    found={
        CONF_FRAME_ENTITY: "image.p1s_01p00a391800456_camera",
        CONF_PRINT_STATE_ENTITY: "sensor.p1s_01p00a391800456_print_status",
    },
)
# moonraker-home-assistant: unique ids "<entry id>_<key>", English names, no
# translation keys; webcams "<entry id>_<name>_<n>", named "<host> <name>",
# and the G-code thumbnail as a camera too.
MOONRAKER = PrinterDevice(
    preset="moonraker",
    integration="moonraker",
    device_id=None,
    name="voron",
    entities=[
        Registered(
            "camera.voron_thumbnail", "{id}_thumbnail", None, "voron Thumbnail", False
        ),
        Registered("sensor.voron_printer_state", "{id}_state", None, "Printer State"),
        Registered(
            "sensor.voron_current_print_state",
            "{id}_print_state",
            None,
            "Current Print State",
        ),
        Registered(
            "button.voron_resume_print", "{id}_resume_print", None, "Resume Print"
        ),
        Registered("button.voron_pause_print", "{id}_pause_print", None, "Pause Print"),
        Registered("sensor.voron_filename", "{id}_filename", None, "Filename"),
        Registered("camera.voron_webcam", "{id}_webcam_0", None, "voron webcam", False),
    ],
    found={
        CONF_FRAME_ENTITY: "camera.voron_webcam",
        CONF_PRINT_STATE_ENTITY: "sensor.voron_current_print_state",
        CONF_PAUSE_ENTITY: "button.voron_pause_print",
        CONF_JOB_ENTITY: "sensor.voron_filename",
    },
    idle="standby",
)
# Home Assistant's octoprint: names "OctoPrint <what>" without entity naming,
# unique ids "<what>-<OctoPrint's uuid>", the camera's unique id the uuid.
OCTOPRINT = PrinterDevice(
    preset="octoprint",
    integration="octoprint",
    device_id=OCTOPRINT_UUID,
    name="OctoPrint",
    entities=[
        Registered(
            "binary_sensor.octoprint_printing",
            "Printing-{id}",
            None,
            "OctoPrint Printing",
            False,
        ),
        Registered(
            "sensor.octoprint_current_file_size",
            "Current File Size-{id}",
            None,
            "OctoPrint Current File Size",
            False,
        ),
        Registered(
            "sensor.octoprint_current_state",
            "Current State-{id}",
            "status",
            "OctoPrint Current State",
            False,
        ),
        Registered(
            "sensor.octoprint_current_file",
            "Current File-{id}",
            "file_name",
            "OctoPrint Current File",
            False,
        ),
        Registered(
            "button.octoprint_resume_job",
            "Resume Job-{id}",
            None,
            "OctoPrint Resume Job",
            False,
        ),
        Registered(
            "button.octoprint_pause_job",
            "Pause Job-{id}",
            None,
            "OctoPrint Pause Job",
            False,
        ),
        Registered("camera.octoprint_camera", "{id}", None, "OctoPrint Camera", False),
    ],
    found={
        CONF_FRAME_ENTITY: "camera.octoprint_camera",
        CONF_PRINT_STATE_ENTITY: "sensor.octoprint_current_state",
        CONF_PAUSE_ENTITY: "button.octoprint_pause_job",
        CONF_JOB_ENTITY: "sensor.octoprint_current_file",
    },
    idle="operational",
)
# Home Assistant's prusalink: unique ids "<entry id>_<key>"; the state sensor
# is the device's main entity (no name of its own). Its camera is the job's
# G-code preview, not a view of the print: no camera is suggested.
PRUSALINK = PrinterDevice(
    preset="prusalink",
    integration="prusalink",
    device_id=None,
    name="Prusa MK4",
    entities=[
        Registered(
            "camera.prusa_mk4_preview", "{id}_job_preview", "job_preview", "Preview"
        ),
        Registered("sensor.prusa_mk4", "{id}_printer.state", "printer_state", None),
        Registered(
            "sensor.prusa_mk4_progress", "{id}_job.progress", "progress", "Progress"
        ),
        Registered(
            "sensor.prusa_mk4_filename", "{id}_job.filename", "filename", "Filename"
        ),
        Registered(
            "button.prusa_mk4_cancel_job",
            "{id}_printer.cancel_job",
            "cancel_job",
            "Cancel job",
        ),
        Registered(
            "button.prusa_mk4_pause_job", "{id}_job.pause_job", "pause_job", "Pause job"
        ),
    ],
    found={
        CONF_PRINT_STATE_ENTITY: "sensor.prusa_mk4",
        CONF_PAUSE_ENTITY: "button.prusa_mk4_pause_job",
        CONF_JOB_ENTITY: "sensor.prusa_mk4_filename",
    },
)
# elegoo-homeassistant (domain elegoo_printer): unique ids "<machine id>_<key>",
# English names with entity naming.
ELEGOO = PrinterDevice(
    preset="elegoo",
    integration="elegoo_printer",
    device_id=ELEGOO_ID,
    name="Centauri Carbon",
    entities=[
        Registered(
            "image.centauri_carbon_cover_image", "{id}_cover_image", None, "Cover Image"
        ),
        Registered(
            "sensor.centauri_carbon_current_status",
            "{id}_current_status",
            "current_status",
            "Current Status",
        ),
        Registered(
            "sensor.centauri_carbon_print_status",
            "{id}_print_status",
            "print_status",
            "Print Status",
        ),
        Registered(
            "sensor.centauri_carbon_file_name", "{id}_filename", None, "File Name"
        ),
        Registered(
            "camera.centauri_carbon_chamber_camera",
            "{id}_chamber_camera",
            None,
            "Chamber Camera",
        ),
        Registered(
            "button.centauri_carbon_resume_print",
            "{id}_resume_print",
            None,
            "Resume Print",
        ),
        Registered(
            "button.centauri_carbon_pause_print",
            "{id}_pause_print",
            None,
            "Pause Print",
        ),
    ],
    found={
        CONF_FRAME_ENTITY: "camera.centauri_carbon_chamber_camera",
        CONF_PRINT_STATE_ENTITY: "sensor.centauri_carbon_print_status",
        CONF_PAUSE_ENTITY: "button.centauri_carbon_pause_print",
        CONF_JOB_ENTITY: "sensor.centauri_carbon_file_name",
    },
)


def add_printer_device(hass: HomeAssistant, printer: PrinterDevice) -> dr.DeviceEntry:
    """The printer's config entry, device and entities, as its integration adds them."""
    foreign = MockConfigEntry(domain=printer.integration, title=printer.name)
    foreign.add_to_hass(hass)
    device_id = printer.device_id or foreign.entry_id
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=foreign.entry_id,
        identifiers={(printer.integration, device_id)},
        name=printer.name,
    )
    registry = er.async_get(hass)
    for entity in printer.entities:
        domain, object_id = entity.entity_id.split(".")
        added = registry.async_get_or_create(
            domain,
            printer.integration,
            entity.unique_id.format(id=device_id),
            config_entry=foreign,
            device_id=device.id,
            suggested_object_id=object_id,
            translation_key=entity.translation_key,
            original_name=entity.original_name,
            has_entity_name=entity.has_entity_name,
            disabled_by=er.RegistryEntryDisabler.INTEGRATION
            if entity.disabled
            else None,
        )
        assert added.entity_id == entity.entity_id
    if print_state := printer.found.get(CONF_PRINT_STATE_ENTITY):
        hass.states.async_set(print_state, printer.idle)
    return device


async def start_with_device(
    hass: HomeAssistant,
    entry: ConfigEntry,
    preset: str,
    device_id: str | None,
    action: str = "pause",
) -> SubentryFlowResult:
    """Open the "add printer" flow and submit its first step."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PRINTER), context={"source": SOURCE_USER}
    )
    user_input: dict[str, Any] = {CONF_PRESET: preset, CONF_ACTION: action}
    if device_id is not None:
        user_input[CONF_DEVICE_ID] = device_id
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


def states_of(preset: str) -> dict[str, list[str]]:
    """The states a preset fills in."""
    return {
        CONF_PRINTING_STATES: list(PRINTER_PRESETS[preset].printing_states),
        CONF_PAUSED_STATES: list(PRINTER_PRESETS[preset].paused_states),
    }


# The flow with a printer's device


@pytest.mark.parametrize(
    "printer",
    [BAMBU_X1C, BAMBU_P1S, MOONRAKER, OCTOPRINT, PRUSALINK, ELEGOO],
    ids=lambda printer: printer.name.split("_")[0].split(" ")[0].lower(),
)
async def test_a_device_fills_in_its_integrations_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, printer: PrinterDevice
) -> None:
    """The printer form comes with the device's name, states and entities."""
    device = add_printer_device(hass, printer)

    result = await start_with_device(hass, loaded_entry, printer.preset, device.id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    assert result["errors"] == {}
    expected = {CONF_NAME: printer.name, **states_of(printer.preset), **printer.found}
    assert suggested_values(result) == expected

    # The user adds what was not found and keeps the rest.
    typed = {
        CONF_FRAME_ENTITY: "camera.workshop_cam_2",
        CONF_PAUSE_ENTITY: "button.printer_pause",
        **expected,
        CONF_SENSITIVITY: 1.0,
        CONF_INTERVAL: 10,
    }
    result = await submit_printer(hass, result["flow_id"], typed)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == printer.name
    [subentry] = [
        subentry
        for subentry in loaded_entry.subentries.values()
        if subentry.title == printer.name
    ]
    assert dict(subentry.data) == {
        key: value for key, value in typed.items() if key != CONF_NAME
    } | {CONF_ACTION: "pause"}


async def test_renamed_entities_and_device_are_still_found(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Entities are recognised by what the integration set, not by their ids."""
    device = add_printer_device(hass, BAMBU_X1C)
    registry = er.async_get(hass)
    renamed = {
        CONF_FRAME_ENTITY: "camera.garage_printer",
        CONF_PRINT_STATE_ENTITY: "sensor.garage_printer_status",
        CONF_PAUSE_ENTITY: "button.garage_printer_hold",
        CONF_JOB_ENTITY: "sensor.garage_printer_job",
    }
    for key, entity_id in renamed.items():
        registry.async_update_entity(BAMBU_X1C.found[key], new_entity_id=entity_id)
    dr.async_get(hass).async_update_device(device.id, name_by_user="Garage printer")

    result = await start_with_device(hass, loaded_entry, "bambu_lab", device.id)

    assert suggested_values(result) == {
        CONF_NAME: "Garage printer",
        **states_of("bambu_lab"),
        **renamed,
    }


async def test_a_device_without_those_entities_leaves_them_empty(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Nothing found is no error: the form asks for the entities as without a device."""
    bare = PrinterDevice(
        preset="moonraker",
        integration="moonraker",
        device_id=None,
        name="ender",
        entities=[
            Registered(
                "sensor.ender_extruder_temperature",
                "{id}_extruder_temp",
                None,
                "Extruder Temp",
            )
        ],
    )
    device = add_printer_device(hass, bare)

    result = await start_with_device(
        hass, loaded_entry, "moonraker", device.id, "notify"
    )

    assert result["step_id"] == "printer"
    assert result["errors"] == {}
    assert suggested_values(result) == {CONF_NAME: "ender", **states_of("moonraker")}


async def test_a_disabled_entity_is_not_suggested(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A disabled camera has no state to read: the user picks another."""
    disabled_camera = [
        Registered(
            entity.entity_id, entity.unique_id, None, entity.original_name, True, True
        )
        if entity.entity_id.startswith("camera.")
        else entity
        for entity in ELEGOO.entities
    ]
    printer = PrinterDevice(
        preset="elegoo",
        integration="elegoo_printer",
        device_id=ELEGOO_ID,
        name="Centauri Carbon",
        entities=disabled_camera,
    )
    device = add_printer_device(hass, printer)

    result = await start_with_device(hass, loaded_entry, "elegoo", device.id)

    suggested = suggested_values(result)
    assert CONF_FRAME_ENTITY not in suggested
    assert suggested[CONF_PRINT_STATE_ENTITY] == "sensor.centauri_carbon_print_status"


async def test_a_device_of_another_integration_is_refused_then_recovers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A Moonraker device under the Bambu Lab preset: the device field says so."""
    device = add_printer_device(hass, MOONRAKER)

    result = await start_with_device(hass, loaded_entry, "bambu_lab", device.id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {CONF_DEVICE_ID: "device_not_of_preset"}
    # What the user chose stays chosen.
    assert suggested_values(result) == {
        CONF_PRESET: "bambu_lab",
        CONF_DEVICE_ID: device.id,
        CONF_ACTION: "pause",
    }

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_PRESET: "moonraker", CONF_DEVICE_ID: device.id, CONF_ACTION: "pause"},
    )
    assert result["step_id"] == "printer"
    assert suggested_values(result)[CONF_PRINT_STATE_ENTITY] == (
        "sensor.voron_current_print_state"
    )


async def test_other_takes_no_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Other knows no integration's entities; without a device it asks for all."""
    device = add_printer_device(hass, OCTOPRINT)

    result = await start_with_device(hass, loaded_entry, "custom", device.id)
    assert result["errors"] == {CONF_DEVICE_ID: "device_not_of_preset"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PRESET: "custom", CONF_ACTION: "pause"}
    )
    assert result["step_id"] == "printer"
    assert suggested_values(result) == {
        CONF_PRINTING_STATES: [],
        CONF_PAUSED_STATES: [],
    }


async def test_a_device_no_longer_there_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A device removed while the form was open has no entities of the preset."""
    result = await start_with_device(hass, loaded_entry, "prusalink", "gone")

    assert result["errors"] == {CONF_DEVICE_ID: "device_not_of_preset"}


async def test_the_device_list_holds_the_presets_integrations(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The device field is optional and offers the devices of the five integrations."""
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_PRINTER), context={"source": SOURCE_USER}
    )

    fields = {str(key): selector for key, selector in schema_of(result).schema.items()}
    assert list(fields) == [CONF_PRESET, CONF_DEVICE_ID, CONF_ACTION]
    assert fields[CONF_DEVICE_ID].config["filter"] == [
        {"integration": "bambu_lab"},
        {"integration": "moonraker"},
        {"integration": "octoprint"},
        {"integration": "prusalink"},
        {"integration": "elegoo_printer"},
    ]
    assert CONF_DEVICE_ID not in schema_of(result)({})
    assert select_options(result, CONF_PRESET)[-1] == "custom"
