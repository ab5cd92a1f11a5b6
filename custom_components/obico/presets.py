"""Printer presets: what the common printer integrations report, and their entities.

A preset gives the states in which its integration's print-state entity means
printing or paused, and how to recognise that integration's print-state,
camera, pause and job entities among a device's entities. Entities are
recognised by what their integration sets and the user cannot change: the
platform, the translation key and the unique id, never the entity id.

Pure: it reads any entity registry entry through ``RegisteredEntity`` and
imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import re
from typing import Final, Protocol


class RegisteredEntity(Protocol):
    """What is read of an entity registry entry."""

    @property
    def entity_id(self) -> str:
        """The entity id, as the user may have renamed it."""

    @property
    def domain(self) -> str:
        """The entity's platform domain: sensor, camera and so on."""

    @property
    def platform(self) -> str:
        """The integration that created the entity."""

    @property
    def unique_id(self) -> str:
        """The id the integration gave the entity."""

    @property
    def translation_key(self) -> str | None:
        """The integration's translation key of the entity."""


@dataclass(frozen=True, kw_only=True)
class EntityPattern:
    """One way an integration's entity is recognised."""

    domain: str
    translation_key: str | None = None
    # A regular expression searched in the unique id.
    unique_id: str | None = None

    def matches(self, entity: RegisteredEntity) -> bool:
        """Whether the entity is of this pattern's domain and keys."""
        return (
            entity.domain == self.domain
            and self.translation_key in (None, entity.translation_key)
            and (
                self.unique_id is None
                or bool(re.search(self.unique_id, entity.unique_id))
            )
        )


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A printer integration's states and entities.

    Each entity role lists its patterns in order of preference.
    """

    # The integration's domain; None for a printer of any other integration.
    integration: str | None
    printing_states: tuple[str, ...] = ()
    paused_states: tuple[str, ...] = ()
    print_state: tuple[EntityPattern, ...] = ()
    frame: tuple[EntityPattern, ...] = ()
    pause: tuple[EntityPattern, ...] = ()
    job: tuple[EntityPattern, ...] = ()

    def owns(self, entities: Iterable[RegisteredEntity]) -> bool:
        """Whether any of a device's entities comes from this preset's integration."""
        return any(entity.platform == self.integration for entity in entities)


@dataclass(frozen=True, kw_only=True)
class PrinterEntities:
    """The entity ids found for each role; None where none was found."""

    print_state: str | None = None
    frame: str | None = None
    pause: str | None = None
    job: str | None = None


def find_entities(
    preset: Preset, entities: Sequence[RegisteredEntity]
) -> PrinterEntities:
    """The preset's entities among a device's, the first of each role in order."""
    own = [entity for entity in entities if entity.platform == preset.integration]

    def first(patterns: tuple[EntityPattern, ...]) -> str | None:
        for pattern in patterns:
            for entity in own:
                if pattern.matches(entity):
                    return entity.entity_id
        return None

    return PrinterEntities(
        print_state=first(preset.print_state),
        frame=first(preset.frame),
        pause=first(preset.pause),
        job=first(preset.job),
    )


def _by_translation_key(domain: str, key: str) -> EntityPattern:
    return EntityPattern(domain=domain, translation_key=key)


def _by_unique_id(domain: str, pattern: str) -> EntityPattern:
    return EntityPattern(domain=domain, unique_id=pattern)


# Paused states hold the states between a pause and the resume, so that a
# pause keeps the print (DESIGN §5); any other state ends it.
PRINTER_PRESETS: Final[dict[str, Preset]] = {
    # ha-bambulab (greghesp/ha-bambulab): the print status sensor is gcode_state
    # lowercased (prepare, running, pause, finish, failed, idle, ...); unique ids
    # are "<serial>_<key>". The camera is a camera entity (translation key
    # camera) or, with the image-sensor option, an image entity (p1p_camera).
    "bambu_lab": Preset(
        integration="bambu_lab",
        printing_states=("running",),
        paused_states=("pause",),
        print_state=(_by_translation_key("sensor", "print_status"),),
        frame=(
            _by_translation_key("camera", "camera"),
            _by_translation_key("image", "p1p_camera"),
        ),
        pause=(_by_translation_key("button", "pause"),),
        job=(_by_translation_key("sensor", "subtask_name"),),
    ),
    # moonraker-home-assistant: no translation keys; unique ids are
    # "<entry id>_<key>". "Current Print State" is Klipper's print_stats state
    # (standby, printing, paused, complete, cancelled, error). Webcams end in
    # "_<name>_<index>"; the "_thumbnail" camera is the G-code preview.
    "moonraker": Preset(
        integration="moonraker",
        printing_states=("printing",),
        paused_states=("paused",),
        print_state=(_by_unique_id("sensor", r"_print_state$"),),
        frame=(_by_unique_id("camera", r"_\d+$"),),
        pause=(_by_unique_id("button", r"_pause_print$"),),
        job=(_by_unique_id("sensor", r"_filename$"),),
    ),
    # Home Assistant's octoprint: the "Current State" sensor (translation key
    # status) tells paused from idle, which the "Printing" binary sensor
    # cannot. Unique ids are "<name>-<entry unique id>"; one camera at most.
    "octoprint": Preset(
        integration="octoprint",
        printing_states=("printing", "printing_sd"),
        paused_states=("pausing", "paused", "resuming"),
        print_state=(_by_translation_key("sensor", "status"),),
        frame=(EntityPattern(domain="camera"),),
        pause=(_by_unique_id("button", r"^Pause Job-"),),
        job=(_by_translation_key("sensor", "file_name"),),
    ),
    # Home Assistant's prusalink: the printer state sensor (printer_state: idle,
    # busy, printing, paused, finished, stopped, error, attention, ready). Its
    # only camera is the job's G-code preview, no view of the print: none.
    "prusalink": Preset(
        integration="prusalink",
        printing_states=("printing",),
        paused_states=("paused",),
        print_state=(_by_translation_key("sensor", "printer_state"),),
        pause=(_by_translation_key("button", "pause_job"),),
        job=(_by_translation_key("sensor", "filename"),),
    ),
    # elegoo-homeassistant (domain elegoo_printer): unique ids are
    # "<machine id>_<key>". Centauri Carbon firmware parks the print status on
    # the last start-up milestone (print_started, ..._completed) for the whole
    # job, so those mean printing too.
    "elegoo": Preset(
        integration="elegoo_printer",
        printing_states=(
            "printing",
            "print_started",
            "homing_completed",
            "auto_leveling_completed",
            "preheating_completed",
            "resonance_testing_completed",
        ),
        paused_states=("pausing", "paused", "resuming"),
        print_state=(_by_translation_key("sensor", "print_status"),),
        frame=(_by_unique_id("camera", r"_chamber_camera$"),),
        pause=(_by_unique_id("button", r"_pause_print$"),),
        job=(_by_unique_id("sensor", r"_filename$"),),
    ),
    "custom": Preset(integration=None),
}
