"""``python -m bench [NAME ...]``: run every benchmark, or the ones named."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

from rich.console import Console

import bench

console = Console()


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        console.print(
            f"[red]unknown benchmark(s):[/] {', '.join(unknown)}; available: {', '.join(available())}"
        )
        return 2
    for name in names:
        console.rule(f"bench: {name}")
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        code = module.main([a for a in argv if a.startswith("-")])
        console.print(f"[dim]{name}: {time.perf_counter() - started:.1f} s[/]")
        if code:
            return int(code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
