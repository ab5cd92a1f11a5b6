"""The whole product for development: Home Assistant, the ML API simulator, a printer.

Run by scripts/develop with the Python of the chosen Home Assistant. It starts
three processes, the Obico ML API simulator, the demo printer and Home
Assistant, onboards Home Assistant through its own onboarding API, adds the
demo printer's camera, the ML server and the printer through their config
flows, and prints where to log in. Ctrl-C stops all three.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import signal
import sys

import aiohttp
from demo_package import camera_flow, package_yaml, printer_flow
from hass_api import HassApi, Owner

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
STARTUP_TIMEOUT = 600  # a first start of a new release sets up a great deal
_DRAINS: set[asyncio.Task[bytes]] = set()
OWNER = Owner(name="Developer", username="dev", password="dev-password")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--ml-port", type=int, default=3333)
    parser.add_argument("--printer-port", type=int, default=8125)
    parser.add_argument("hass_args", nargs="*")
    return parser.parse_args()


def http_settings(config: Path, port: int) -> dict[str, str]:
    """Make Home Assistant listen on ``port``; the environment it needs for it.

    Before 2026.10 the port is YAML; from 2026.10 on Home Assistant keeps its
    HTTP settings in storage and takes SETUP_PORT for a configuration that has
    none yet, so stored settings for another port are dropped first.
    """
    packages = config / "packages"
    try:
        import homeassistant.components.http.config  # noqa: F401, PLC0415
    except ImportError:
        (packages / "develop_http.yaml").write_text(
            "# Written by scripts/develop at each start: the port it was given.\n"
            f"http:\n  server_port: {port}\n"
        )
        return {}
    (packages / "develop_http.yaml").unlink(missing_ok=True)
    stored = config / ".storage" / "http"
    if stored.exists():
        stable = json.loads(stored.read_text())["data"]["stable"]
        if stable.get("server_port") != port:
            stored.unlink()
    return {"SETUP_PORT": str(port)}


async def start(
    name: str, *command: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start a process of ours; its first line says it listens."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode().strip()
    if process.returncode is not None or not line:
        raise RuntimeError(f"the {name} did not start: {line or 'no output'}")
    print(f"==> {line}")
    # Whatever it says later is read, so that a full pipe never blocks it.
    _DRAINS.add(asyncio.create_task(process.stdout.read()))
    return process


async def set_up(hass: HassApi, ml_url: str, printer_url: str) -> None:
    """Add the demo camera, the ML server and the printer, unless they are there."""
    if not await hass.entries("mjpeg"):
        await hass.flow(
            "/api/config/config_entries/flow",
            {"handler": "mjpeg"},
            camera_flow(printer_url),
        )
    if entries := await hass.entries("obico"):
        return
    server = await hass.flow(
        "/api/config/config_entries/flow",
        {"handler": "obico"},
        {"ml_url": ml_url, "ha_url": hass.url, "max_concurrent": 1},
    )
    if server["type"] != "create_entry":
        raise RuntimeError(f"the ML server could not be added: {server}")
    entries = [server["result"]]
    first, details = printer_flow()
    await hass.flow(
        "/api/config/config_entries/subentries/flow",
        {"handler": [entries[0]["entry_id"], "printer"]},
        first,
        details,
    )


async def main() -> int:
    """Run until Ctrl-C or until Home Assistant stops."""
    args = _parse_args()
    config: Path = args.config
    (config / "packages").mkdir(parents=True, exist_ok=True)
    printer_url = f"http://127.0.0.1:{args.printer_port}"
    ml_url = f"http://127.0.0.1:{args.ml_port}"
    (config / "packages" / "demo_printer.yaml").write_text(package_yaml(printer_url))
    env = {**os.environ, **http_settings(config, args.port)}
    # Home Assistant imports custom_components/ from the working tree itself.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])
    )

    processes: list[asyncio.subprocess.Process] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        processes.append(
            await start(
                "ML API simulator",
                sys.executable,
                str(SCRIPTS / "obico_ml_simulator.py"),
                "--port",
                str(args.ml_port),
                "--inference-delay",
                "0.3",
            )
        )
        processes.append(
            await start(
                "demo printer",
                sys.executable,
                str(SCRIPTS / "demo_printer.py"),
                "--port",
                str(args.printer_port),
            )
        )
        log = config / "home-assistant.log"
        log.unlink(missing_ok=True)
        hass_process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPTS / "lib" / "run_hass.py"),
            "--config",
            str(config),
            "--skip-pip",
            *args.hass_args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        processes.append(hass_process)
        print(f"==> Home Assistant starting (log: {log})")
        async with aiohttp.ClientSession() as session:
            hass = HassApi(f"http://127.0.0.1:{args.port}", session)
            async with asyncio.timeout(STARTUP_TIMEOUT):
                await hass.wait_until_up(lambda: hass_process.returncode is None)
                await hass.onboard_or_log_in(OWNER)
                await set_up(hass, ml_url, printer_url)
        print(
            f"==> Home Assistant is up: http://localhost:{args.port}\n"
            f"    Log in as {OWNER.username} / {OWNER.password}.\n"
            '    Try it: run the script "Demo printer - start a failing print" and'
            " watch the Demo printer's device page."
        )
        stopped = asyncio.create_task(hass_process.wait())
        await asyncio.wait(
            [stopped, asyncio.create_task(stop.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        return 0
    finally:
        await stop_all(processes)


async def stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM each, Home Assistant first; SIGKILL what does not stop in time."""
    for process in reversed(processes):
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
