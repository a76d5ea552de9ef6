"""Running the web adapter on the app's event loop."""

from __future__ import annotations

from aiohttp import web

from intake.core import Core
from web.app import create_app


class RunningWeb:
    name = "web"

    def __init__(self, runner: web.AppRunner, host: str, port: int) -> None:
        self._runner = runner
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def describe(self) -> str:
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start(core: Core) -> RunningWeb:
    runner = web.AppRunner(create_app(core), access_log=None)  # no access log: it would hold IP addresses
    await runner.setup()
    site = web.TCPSite(runner, core.settings.web_host, core.settings.web_port)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else core.settings.web_port
    return RunningWeb(runner, core.settings.web_host, port)
