"""The whole service (``intake.runner``) with the real bot polling the Bot API stand-in."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from intake import runner
from intake.runner import Service
from intake.settings import Settings, generate_key
from tests.conftest import make_settings
from tests.support.telegram import BotApiStub

StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub() as running:
        yield running


@pytest.fixture
def bot_settings(tmp_path: Path, db_url: str, engine, stub: BotApiStub) -> Callable[..., Settings]:  # type: ignore[no-untyped-def]
    """Settings for a service that talks only to the stand-in (``engine`` resets PostgreSQL).
    The keys stay the same for every service of a test, as they do across a real restart."""
    keys = {"secret_key": generate_key(), "master_key": generate_key()}

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **keys,
            "database_url": db_url,
            "telegram_token": stub.token,
            "telegram_api_url": stub.url,
            "telegram_polling_timeout": 10,
            "web_enabled": False,
            "smtp_enabled": False,
            "outbound": f"maildir:{tmp_path / 'mail'}",
            "outbox_poll_seconds": 0.2,
            # People in tests press buttons at machine speed; test_throttling sets its own limits.
            "telegram_throttle_burst": 1000,
        }
        values.update(overrides)
        return make_settings(tmp_path, **values)

    return build


@pytest.fixture
async def start_service(bot_settings: Callable[..., Settings], anonymiser) -> AsyncIterator[StartService]:  # type: ignore[no-untyped-def]
    """Start ``intake run``'s service; every one started is stopped after the test."""
    started: list[Service] = []

    async def start(**overrides: Any) -> Service:
        service = await runner.start(bot_settings(**overrides), anonymiser=anonymiser)
        started.append(service)
        return service

    yield start
    for service in started:
        if not service.stopping.is_set():
            await service.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway local redis-server (the tests that need it are skipped without one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            import time

            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
