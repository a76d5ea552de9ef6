"""A small SMTP client that shows every reply code: for tests and the benchmark.

Unlike a library client it never raises on a refusal, so a test can assert the exact code
of each step, send a declared SIZE it does not keep to, or stop halfway.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class SmtpClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.greeting: Reply | None = None

    @classmethod
    async def connect(cls, host: str, port: int, *, reply_timeout: float = 30.0) -> SmtpClient:
        async with asyncio.timeout(reply_timeout):
            reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        client = cls(reader, writer, reply_timeout)
        client.greeting = await client.reply()
        return client

    async def reply(self) -> Reply:
        lines = []
        async with asyncio.timeout(self.timeout):
            while True:
                raw = await self.reader.readline()
                if not raw:
                    raise ConnectionError("the server closed the connection")
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                lines.append(line[4:])
                if len(line) < 4 or line[3] != "-":
                    return Reply(int(line[:3]), tuple(lines))

    async def command(self, line: str) -> Reply:
        self.writer.write(line.encode("utf-8") + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def ehlo(self, name: str = "client.test") -> Reply:
        return await self.command(f"EHLO {name}")

    async def starttls(self, context: ssl.SSLContext, server_hostname: str | None = None) -> Reply:
        reply = await self.command("STARTTLS")
        if reply.code == 220:
            await self.writer.start_tls(context, server_hostname=server_hostname)
        return reply

    async def data(self, content: bytes) -> Reply:
        """DATA with the content dot-stuffed and CRLF line endings; the reply after the final dot."""
        reply = await self.command("DATA")
        if reply.code != 354:
            return reply
        self.writer.write(stuff(content))
        await self.writer.drain()
        return await self.reply()

    async def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        content: bytes,
        *,
        options: str = "",
    ) -> Reply:
        """One message: the first refusal, or the reply to the data."""
        reply = await self.command(f"MAIL FROM:<{mail_from}>{' ' + options if options else ''}")
        if reply.code != 250:
            return reply
        accepted = 0
        for recipient in recipients:
            reply = await self.command(f"RCPT TO:<{recipient}>")
            if reply.code == 250:
                accepted += 1
        if not accepted:
            await self.command("RSET")
            return reply
        return await self.data(content)

    async def quit(self) -> None:
        try:
            await self.command("QUIT")
        except (TimeoutError, ConnectionError, OSError):
            pass
        await self.close()

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError, ssl.SSLError):
            pass


def stuff(content: bytes) -> bytes:
    lines = content.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
    return body + b"\r\n.\r\n"


async def send_one(
    host: str, port: int, mail_from: str, recipients: Sequence[str], content: bytes, **kwargs: str
) -> Reply:
    client = await SmtpClient.connect(host, port)
    try:
        await client.ehlo()
        return await client.send(mail_from, recipients, content, **kwargs)
    finally:
        await client.quit()
