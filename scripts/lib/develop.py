"""The whole product for development: Home Assistant, the ML API simulator, a printer.

Run by scripts/develop with the Python of the chosen Home Assistant. It starts
the Obico ML API simulator, the demo printer and Home Assistant, onboards Home
Assistant, adds the demo printer's camera, the ML server and the printer
through their config flows and the demo's dashboard
(scripts/lib/demo_dashboard.py), starts a good print and prints where to log
in. Ctrl-C stops all three.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import signal
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scripts.lib.demo_stack import DemoStack, demo_stack
from scripts.lib.hass_api import Owner

OWNER = Owner(name="Developer", username="dev", password="dev-password")
PRINTER = "Demo printer"
FIRST_FRAME_TIMEOUT = 120
# The printer's entities are registered as its entry reloads after its flow.
DASHBOARD_TIMEOUT = 60


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--ml-port", type=int, default=3333)
    parser.add_argument("--printer-port", type=int, default=8125)
    return parser.parse_args()


async def main() -> int:
    """Run until Ctrl-C or until Home Assistant stops; Ctrl-C works at any point."""
    args = _parse_args()
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await run(args)
    except asyncio.CancelledError:
        print("==> Stopped.")
    except (RuntimeError, OSError, TimeoutError) as err:
        print(
            f"error: {err or 'Home Assistant took too long to start'}", file=sys.stderr
        )
        return 1
    return 0


async def run(args: argparse.Namespace) -> None:
    """Start it all, say where it is, and wait for Home Assistant to stop."""
    started = time.monotonic()
    print("==> Starting the ML API simulator, the demo printer and Home Assistant")
    async with demo_stack(
        args.config,
        port=args.port,
        printers=[PRINTER],
        owner=OWNER,
        # Reachable from the LAN too, for an ML server on another machine.
        host="0.0.0.0",
        ml_port=args.ml_port,
        printer_port=args.printer_port,
    ) as stack:
        print(f"    ML API simulator: {stack.ml_url}")
        print(f"    Demo printer:     {stack.printers[0].base_url}")
        entry_id = await stack.add_entries()
        async with asyncio.timeout(DASHBOARD_TIMEOUT):
            dashboard = await stack.add_dashboard(entry_id)
        await show_first_frame(stack, started)
        local = f"http://localhost:{args.port}"
        print(
            f"==> Home Assistant is up: {local}\n"
            f"    Log in as {OWNER.username} / {OWNER.password}.\n"
            f"    The demo's dashboard: {local}/{dashboard}\n"
            f'    Try it: there, run "{PRINTER} - start a failing print" and watch:\n'
            "    the risk rises, a warning comes at about frame 48 and the print\n"
            "    pauses at about frame 53, its last frame boxed in red.\n"
            f"    Home Assistant's log: {stack.config / 'home-assistant.log'}\n"
            "    Ctrl-C stops everything."
        )
        await stack.hass_process.wait()


async def show_first_frame(stack: DemoStack, started: float) -> None:
    """Start a good print, and say when its first frame has been analyzed."""
    printer = stack.printers[0]
    await stack.run_script(printer.script("start_a_good_print"))
    status = await stack.hass.state(printer.status)
    assert status is not None
    print_started = status["last_changed"]

    def analyzed_in_this_print(frames: dict[str, Any] | None) -> bool:
        return (
            frames is not None
            and frames["last_updated"] > print_started
            and frames["state"] not in ("0", "unknown", "unavailable")
        )

    async with asyncio.timeout(FIRST_FRAME_TIMEOUT):
        await stack.hass.wait_for_state(
            f"sensor.{printer.slug}_frames_analyzed", analyzed_in_this_print
        )
    print(
        f"==> A good print is running; its first frame was analyzed "
        f"{time.monotonic() - started:.0f} s after start."
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
