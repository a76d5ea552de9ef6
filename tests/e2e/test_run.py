"""`intake run` as a newcomer starts it: embedded defaults, prints where it listens, stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.support.ports import free_port

ROOT = Path(__file__).parents[2]


async def test_run_starts_on_sqlite_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    web_port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(
        {
            "INTAKE_WEB_PORT": str(web_port),
            "INTAKE_SMTP_PORT": str(smtp_port),
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "200",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = []
    try:
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
            assert line, "intake run exited early:\n" + "".join(output)
            output.append(line)
            if "Press Ctrl-C" in line:
                break
        printed = "".join(output)
        assert f"http://127.0.0.1:{web_port}" in printed
        assert f"127.0.0.1:{smtp_port}" in printed
        assert "INTAKE_TELEGRAM_TOKEN" in printed  # says why the bot is off
        assert (tmp_path / "var" / "intake.db").exists()  # ./var relative to the working directory

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{web_port}/healthz") as response:
                assert response.status == 200 and (await response.json())["database"] == "ok"
            async with http.get(f"http://127.0.0.1:{web_port}/privacy?lang=en") as response:
                assert response.status == 200 and "Dutch Data Protection Authority" in await response.text()
        reader, writer = await asyncio.open_connection("127.0.0.1", smtp_port)
        assert (await reader.readline()).startswith(b"220 ")
        writer.close()
    finally:
        process.send_signal(signal.SIGINT)
        rest = await asyncio.wait_for(process.stdout.read(), timeout=30)
        code = await process.wait()
    assert code == 0, rest.decode()
    assert "stopped." in rest.decode() and "Traceback" not in rest.decode()
