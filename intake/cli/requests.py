"""``intake requests``: where requests stand (references and states only, no texts)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from consent_store.enums import OfferState, RequestState
from intake.cli import app, command, console
from intake.cli.context import with_core
from intake.core import Core


@command(app, "requests")
def list_requests(
    state: Annotated[
        list[RequestState] | None, typer.Option("--state", help="Repeat; default: open and accepted.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
) -> None:
    """Requests by state, with how many offers are open; spot requests no coach has taken."""
    states = state or [RequestState.OPEN, RequestState.ACCEPTED]

    async def call(core: Core):  # type: ignore[no-untyped-def]
        async with core.uow() as uow:
            rows = []
            for wanted in states:
                for request in await uow.requests.in_state(wanted, limit=limit):
                    offers = await uow.offers.for_request(request.id)
                    rows.append((request, sum(o.state is OfferState.OPEN for o in offers), len(offers)))
            return rows, await uow.requests.count_by_state()

    rows, counts = with_core(call)
    table = Table(
        "reference", "state", "topic", "language", "special", "submitted (UTC)", "open offers", "offers"
    )
    for request, open_offers, total in rows:
        submitted = request.submitted_at.strftime("%Y-%m-%d %H:%M") if request.submitted_at else ""
        table.add_row(
            request.reference,
            request.state.value,
            request.topic,
            request.language,
            "yes" if request.special_category else "",
            submitted,
            str(open_offers),
            str(total),
        )
    console.print(table)
    console.print("totals: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
