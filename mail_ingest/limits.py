"""Per-client limits for the SMTP server: connections at once, connections and messages per
minute. Kept in memory only (the client's IP address is never stored or logged)."""

from __future__ import annotations

import time
from collections.abc import Callable

from intake.limits import TokenBuckets


class ClientLimits:
    def __init__(
        self,
        *,
        max_connections: int,
        connections_per_minute: int,
        messages_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_connections = max_connections
        self._open: dict[str, int] = {}
        self._connections = TokenBuckets(connections_per_minute, clock)
        self._messages = TokenBuckets(messages_per_minute, clock)

    def connect(self, client: str) -> bool:
        """Admit a new connection (then ``disconnect`` it later) or refuse it."""
        if self.max_connections and self._open.get(client, 0) >= self.max_connections:
            return False
        if not self._connections.take(client):
            return False
        self._open[client] = self._open.get(client, 0) + 1
        return True

    def disconnect(self, client: str) -> None:
        left = self._open.get(client, 0) - 1
        if left > 0:
            self._open[client] = left
        else:
            self._open.pop(client, None)

    def message(self, client: str) -> bool:
        return self._messages.take(client)
