"""One router per feature; ``all_routers`` gives them in the order they are asked."""

from __future__ import annotations

from aiogram import Router


def all_routers() -> list[Router]:
    from bot.routers import coach, fallback, intake, self_service

    return [module.router.build() for module in (coach, self_service, intake, fallback)]
