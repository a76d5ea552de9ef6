"""SMTP load generator, run as its own process so it does not share the server's CPU:

    python -m bench._smtp_load HOST PORT --messages N --sessions C [--retry] [--acked FILE]

Message ``i`` comes from ``kandidaat-<i>@<sender domain>`` with Message-ID ``<bench-<run>-<i>@...>``
and the same bytes on every attempt. With ``--retry`` a message that got no reply (the server
died) or a 4xx is sent again after reconnecting, like a real MTA. Every message that gets a
``250`` is appended to ``--acked`` at once. Prints a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from tests.support.smtp_client import SmtpClient

BODIES = (
    "Ik werk al tien jaar in de zorg en wil graag een andere richting op. Kunnen jullie me helpen kiezen?",
    "I would like help with my job applications; I keep getting rejected after the first interview.",
    "Sinds kort geef ik leiding aan een team van acht mensen en ik loop vast in de samenwerking.",
    "Ik twijfel tussen een studie psychologie en een opleiding tot verpleegkundige.",
)


def build(index: int, run: str, domain: str, sender_domain: str) -> tuple[str, bytes]:
    sender = f"kandidaat-{index}@{sender_domain}"
    message_id = f"<bench-{run}-{index}@{sender_domain}>"
    body = BODIES[index % len(BODIES)]
    raw = (
        f"From: Kandidaat {index} <{sender}>\r\nTo: intake@{domain}\r\nSubject: Hulpvraag {index}\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 05 Jan 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    ).encode()
    return sender, raw


async def _session(
    host: str,
    port: int,
    queue: asyncio.Queue[int],
    messages: dict[int, tuple[str, bytes]],
    domain: str,
    codes: Counter[int],
    acked: TextIO | None,
    retry: bool,
    deadline: float,
) -> None:
    client: SmtpClient | None = None
    while not queue.empty() and time.monotonic() < deadline:
        index = await queue.get()
        sender, raw = messages[index]
        try:
            if client is None:
                client = await SmtpClient.connect(host, port, reply_timeout=30)
                if client.greeting is None or client.greeting.code != 220:
                    raise ConnectionError("refused")
                await client.ehlo()
            reply = await client.send(sender, [f"intake@{domain}"], raw)
        except (OSError, ConnectionError, TimeoutError, ValueError):
            codes[0] += 1
            if client is not None:
                await client.close()
            client = None
            if retry:
                queue.put_nowait(index)
                await asyncio.sleep(0.2)
            continue
        codes[reply.code] += 1
        if reply.code == 250:
            if acked is not None:
                acked.write(f"{index}\n")
                acked.flush()
        elif retry and 400 <= reply.code < 500:  # try again on a fresh connection
            queue.put_nowait(index)
            await client.close()
            client = None
            await asyncio.sleep(0.2)
    if client is not None:
        await client.quit()


async def run(args: argparse.Namespace, acked: TextIO | None) -> dict[str, object]:
    messages = {i: build(i, args.run, args.domain, args.sender_domain) for i in range(args.messages)}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in messages:
        queue.put_nowait(index)
    codes: Counter[int] = Counter()
    started = time.monotonic()
    deadline = started + args.deadline
    try:
        await asyncio.gather(
            *(
                _session(
                    args.host, args.port, queue, messages, args.domain, codes, acked, args.retry, deadline
                )
                for _ in range(args.sessions)
            )
        )
    finally:
        if acked is not None:
            acked.close()
    return {"seconds": time.monotonic() - started, "codes": {str(k): v for k, v in sorted(codes.items())}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench._smtp_load")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--domain", default="intake.localhost")
    parser.add_argument("--sender-domain", default="example.org")
    parser.add_argument("--run", default="0")
    parser.add_argument("--retry", action="store_true")
    parser.add_argument("--acked")
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args(argv)
    acked = Path(args.acked).open("a", encoding="ascii") if args.acked else None
    try:
        print(json.dumps(asyncio.run(run(args, acked))))
    finally:
        if acked is not None:
            acked.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
