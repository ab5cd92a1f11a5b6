"""A demo printer's side in Home Assistant: a YAML package and the config flows.

scripts/develop and the end-to-end tests put the package in the
configuration's ``packages`` folder, for each demo printer
(``scripts/demo_printer.py``) they run: a print-state ``input_select``, a pause
button that really pauses the demo printer, and scripts that start a good or a
failing print. Its camera is an MJPEG camera entry on the printer's snapshot,
added through that integration's own flow (``camera_flow``), since YAML can no
longer set one up; the Obico printer is added through ours (``printer_flow``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRINTING_STATES = ["printing"]
PAUSED_STATES = ["paused"]


@dataclass(frozen=True)
class DemoPrinter:
    """One demo printer as Home Assistant knows it; ``slug`` names its entities."""

    name: str
    base_url: str

    @property
    def slug(self) -> str:
        """The name in entity ids."""
        return self.name.lower().replace(" ", "_")

    @property
    def status(self) -> str:
        """The print-state input_select."""
        return f"input_select.{self.slug}_status"

    @property
    def pause_button(self) -> str:
        """The button that pauses it."""
        return f"button.{self.slug}_pause"

    @property
    def camera_name(self) -> str:
        """The title of its MJPEG camera entry."""
        return f"{self.name} camera"

    @property
    def camera(self) -> str:
        """Its camera entity."""
        return f"camera.{self.slug}_camera"

    def script(self, what: str) -> str:
        """``start_a_good_print``, ``start_a_failing_print``, ``resume``, ``finish``."""
        return f"script.{self.slug}_{what}"


def package_yaml(printers: list[DemoPrinter]) -> str:
    """The package for ``printers``."""
    return "\n".join(
        [
            "# Written by scripts/develop (or a test) for its demo printers.",
            "input_select:",
            *(_status(printer) for printer in printers),
            "rest_command:",
            *(_commands(printer) for printer in printers),
            "template:",
            "  - button:",
            *(_pause_button(printer) for printer in printers),
            "script:",
            *(_scripts(printer) for printer in printers),
        ]
    )


def _status(printer: DemoPrinter) -> str:
    return f"""\
  {printer.slug}_status:
    name: {printer.name} status
    options: [idle, printing, paused, finished]
    initial: idle"""


def _commands(printer: DemoPrinter) -> str:
    commands = {
        "print_good": "print?outcome=good",
        "print_failing": "print?outcome=failing",
        "pause": "pause",
        "resume": "resume",
        "finish": "finish",
    }
    return "\n".join(
        f'  {printer.slug}_{command}:\n    url: "{printer.base_url}/{path}"\n'
        "    method: post"
        for command, path in commands.items()
    )


def _pause_button(printer: DemoPrinter) -> str:
    return f"""\
      - name: {printer.name} pause
        unique_id: {printer.slug}_pause
        press:
{_run_then_show(printer, "pause", "paused", indent=10)}"""


def _scripts(printer: DemoPrinter) -> str:
    scripts = [
        ("start_a_good_print", "start a good print", "mdi:printer-3d", "print_good"),
        (
            "start_a_failing_print",
            "start a failing print",
            "mdi:printer-3d-nozzle-alert",
            "print_failing",
        ),
        ("resume", "resume", "mdi:play", "resume"),
        ("finish", "finish", "mdi:flag-checkered", "finish"),
    ]
    status_after = {"resume": "printing", "finish": "finished"}
    return "\n".join(
        f"""\
  {printer.slug}_{key}:
    alias: {printer.name} - {alias}
    icon: {icon}
    sequence:
{_end_print_first(printer) if key.startswith("start") else ""}\
{_run_then_show(printer, command, status_after.get(key, "printing"), indent=6)}"""
        for key, alias, icon, command in scripts
    )


def _end_print_first(printer: DemoPrinter) -> str:
    """A print started over another ends that one first, as on a real printer."""
    return f"""\
      - if:
          - condition: state
            entity_id: {printer.status}
            state: [printing, paused]
        then:
          - action: input_select.select_option
            target:
              entity_id: {printer.status}
            data:
              option: finished
"""


def _run_then_show(
    printer: DemoPrinter, command: str, status: str, *, indent: int
) -> str:
    """Tell the demo printer, then show its new state, as its integration would."""
    pad = " " * indent
    return "\n".join(
        [
            f"{pad}- action: rest_command.{printer.slug}_{command}",
            f"{pad}- action: input_select.select_option",
            f"{pad}  target:",
            f"{pad}    entity_id: {printer.status}",
            f"{pad}  data:",
            f"{pad}    option: {status}",
        ]
    )


def camera_flow(printer: DemoPrinter) -> dict[str, Any]:
    """The MJPEG camera form for the demo printer's snapshot."""
    return {
        "name": printer.camera_name,
        "mjpeg_url": f"{printer.base_url}/snapshot.jpg",
        "still_image_url": f"{printer.base_url}/snapshot.jpg",
        "username": "",
        "password": "",
        "verify_ssl": False,
    }


def camera_options(printer: DemoPrinter) -> dict[str, Any]:
    """The MJPEG camera's options form: the camera form without its name."""
    return {key: value for key, value in camera_flow(printer).items() if key != "name"}


def printer_flow(printer: DemoPrinter) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two printer forms of the integration's flow for the demo printer."""
    return (
        {"preset": "custom", "action": "pause"},
        {
            "name": printer.name,
            "frame_entity": printer.camera,
            "print_state_entity": printer.status,
            "printing_states": PRINTING_STATES,
            "paused_states": PAUSED_STATES,
            "pause_entity": printer.pause_button,
            "sensitivity": 1.0,
            "interval": 10,
        },
    )
