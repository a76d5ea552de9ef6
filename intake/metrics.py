"""Prometheus instruments, one registry per ``Core`` (so tests with several cores stay apart).

Labels carry codes, kinds, states and route patterns only: never an address, a token or a text.
"""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from intake.core import Core

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.smtp_received = Counter(
            "intake_smtp_messages_received",
            "Messages the SMTP server accepted (250), by recipient kind",
            ["kind"],
            registry=r,
        )
        self.smtp_duplicates = Counter(
            "intake_smtp_messages_duplicate", "Accepted messages that had been stored before", registry=r
        )
        self.smtp_rejected = Counter(
            "intake_smtp_replies_rejected",
            "SMTP replies refusing something, by reply code",
            ["code"],
            registry=r,
        )
        self.smtp_data_seconds = Histogram(
            "intake_smtp_data_seconds",
            "Time from the end of DATA to the reply (storing the message durably)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.mail_processed = Counter(
            "intake_mail_processed",
            "Inbound messages processed, by kind and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.mail_failures = Counter(
            "intake_mail_processing_failures",
            "Processing attempts that failed, by kind",
            ["kind"],
            registry=r,
        )
        self.mail_process_seconds = Histogram(
            "intake_mail_process_seconds",
            "Time to process one inbound message",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.web_seconds = Histogram(
            "intake_web_request_seconds",
            "Web handler latency, by route pattern and method",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Gauge("intake_requests", "Requests by state", ["state"], registry=r)
        self.outbox = Gauge("intake_outbox_messages", "Outbox messages by state", ["state"], registry=r)
        self.outbox_backlog = Gauge(
            "intake_outbox_backlog", "Outbox messages waiting to be sent (pending or sending)", registry=r
        )
        self.inbound = Gauge(
            "intake_inbound_mail", "Inbound mail queue by kind and state", ["kind", "state"], registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


_BY_CORE: weakref.WeakKeyDictionary[Core, Metrics] = weakref.WeakKeyDictionary()


def of(core: Core) -> Metrics:
    """The instruments of this running service."""
    if core not in _BY_CORE:
        _BY_CORE[core] = Metrics()
    return _BY_CORE[core]
