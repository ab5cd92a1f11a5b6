"""The demo printer's side in Home Assistant, as a YAML package.

scripts/develop and the end-to-end tests put it in the configuration's
``packages`` folder, for a demo printer listening at ``base_url``: a print-state
``input_select``, a pause button that really pauses the demo printer, and
scripts that start a good or a failing print. Its camera is an MJPEG camera
entry on the printer's snapshot, added through that integration's own flow
(``camera_flow``), since YAML can no longer set one up.
"""

from __future__ import annotations

from typing import Any

STATUS = "input_select.demo_printer_status"
PAUSE_BUTTON = "button.demo_printer_pause"
CAMERA = "camera.demo_printer_camera"
CAMERA_NAME = "Demo printer camera"
PRINTING_STATES = ["printing"]
PAUSED_STATES = ["paused"]
START_GOOD_PRINT = "script.demo_printer_start_a_good_print"
START_FAILING_PRINT = "script.demo_printer_start_a_failing_print"


def package_yaml(base_url: str) -> str:
    """The package, for a demo printer at ``base_url``."""
    return f"""\
# Written by scripts/develop (or a test) for the demo printer at {base_url}.
input_select:
  demo_printer_status:
    name: Demo printer status
    options: [idle, printing, paused, finished]
    initial: idle

rest_command:
  demo_printer_print_good:
    url: "{base_url}/print?outcome=good"
    method: post
  demo_printer_print_failing:
    url: "{base_url}/print?outcome=failing"
    method: post
  demo_printer_pause:
    url: "{base_url}/pause"
    method: post
  demo_printer_resume:
    url: "{base_url}/resume"
    method: post
  demo_printer_finish:
    url: "{base_url}/finish"
    method: post

template:
  - button:
      - name: Demo printer pause
        unique_id: demo_printer_pause
        press:
{_run_then_show("demo_printer_pause", "paused", indent=10)}

script:
  demo_printer_start_a_good_print:
    alias: Demo printer - start a good print
    icon: mdi:printer-3d
    sequence:
{_run_then_show("demo_printer_print_good", "printing", indent=6)}
  demo_printer_start_a_failing_print:
    alias: Demo printer - start a failing print
    icon: mdi:printer-3d-nozzle-alert
    sequence:
{_run_then_show("demo_printer_print_failing", "printing", indent=6)}
  demo_printer_resume:
    alias: Demo printer - resume
    sequence:
{_run_then_show("demo_printer_resume", "printing", indent=6)}
  demo_printer_finish:
    alias: Demo printer - finish
    sequence:
{_run_then_show("demo_printer_finish", "finished", indent=6)}
"""


def _run_then_show(command: str, status: str, *, indent: int) -> str:
    """Tell the demo printer, then show its new state, as its integration would."""
    pad = " " * indent
    return "\n".join(
        [
            f"{pad}- action: rest_command.{command}",
            f"{pad}- action: input_select.select_option",
            f"{pad}  target:",
            f"{pad}    entity_id: {STATUS}",
            f"{pad}  data:",
            f"{pad}    option: {status}",
        ]
    )


def camera_flow(base_url: str) -> dict[str, Any]:
    """The MJPEG camera form for the demo printer's snapshot."""
    return {
        "name": CAMERA_NAME,
        "mjpeg_url": f"{base_url}/snapshot.jpg",
        "still_image_url": f"{base_url}/snapshot.jpg",
        "username": "",
        "password": "",
        "verify_ssl": False,
    }


def printer_flow() -> tuple[dict[str, Any], dict[str, Any]]:
    """The two printer forms of the integration's flow for the demo printer."""
    return (
        {"preset": "custom", "action": "pause"},
        {
            "name": "Demo printer",
            "frame_entity": CAMERA,
            "print_state_entity": STATUS,
            "printing_states": PRINTING_STATES,
            "paused_states": PAUSED_STATES,
            "pause_entity": PAUSE_BUTTON,
            "sensitivity": 1.0,
            "interval": 10,
        },
    )
