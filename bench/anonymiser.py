"""Anonymiser benchmark: quality on the shared dev corpus and on this repository's held-out
sets, speed, load time and memory, side by side with the GPL reference ``deduce`` (installed
in the benchmark environment only, never imported by the project).

    python -m bench anonymiser [--no-deduce] [--misses]

Speed is messages of about 100 words per second of CPU time on one core (the process is
pinned to one core; the best of three runs, since other processes share the machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from anonymiser import Anonymiser
from anonymiser.evaluation import GoldMessage, Prediction, Scores, load_jsonl, score
from anonymiser.model import LABELS
from bench._corpus import DATA_DIR, load_markup

console = Console()
ROOT = Path(__file__).resolve().parents[1]
DEV_CORPUS_ENV = "INTAKE_ANONYMISER_DEV_CORPUS"
WORDS_PER_MESSAGE = 100
SPEED_MESSAGES = 2000
DEDUCE_SPEED_MESSAGES = 200
SPEED_RUNS = 3
GOALS = {
    "direct": 0.98,
    "quasi": 0.90,
    "char_precision": 0.90,
    "special_recall": 0.95,
    "special_precision": 0.85,
    "messages_per_s": 500,
    "load_s": 2.0,
    "rss_mb": 300,
}
Analyse = Callable[[list[GoldMessage]], list[Prediction]]
Items = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    messages: list[GoldMessage]


@dataclass(frozen=True, slots=True)
class Run:
    system: str
    corpus: str
    scores: Scores


# --- corpora --------------------------------------------------------------------------


def find_dev_corpus() -> Path | None:
    if os.environ.get(DEV_CORPUS_ENV):
        return Path(os.environ[DEV_CORPUS_ENV])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "corpus" / "dev.jsonl"
        if candidate.exists():
            return candidate
    return None


def load_corpora() -> list[Corpus]:
    corpora = []
    dev = find_dev_corpus()
    if dev is None:
        console.print(f"[yellow]dev corpus not found; set {DEV_CORPUS_ENV}[/]")
    else:
        corpora.append(Corpus("dev", load_jsonl(dev)))
    for part in ("a", "b", "c"):
        path = DATA_DIR / f"anonymiser_heldout_{part}.txt"
        corpora.append(Corpus(f"held-out {part.upper()}", load_markup(path)))
    return corpora


def hundred_word_messages(corpora: Sequence[Corpus]) -> Items:
    """Messages of about 100 words: the corpora's texts of one language joined, cut into
    pieces of 100 words."""
    messages: Items = []
    for language in ("nl", "en"):
        words = [
            word
            for corpus in corpora
            for message in corpus.messages
            if message.lang == language
            for word in message.text.split(" ")
        ]
        for start in range(0, len(words) - WORDS_PER_MESSAGE, WORDS_PER_MESSAGE):
            messages.append((" ".join(words[start : start + WORDS_PER_MESSAGE]), language))
    return messages


# --- systems --------------------------------------------------------------------------


def anonymiser_analyse(anonymiser: Anonymiser) -> Analyse:
    def analyse(messages: list[GoldMessage]) -> list[Prediction]:
        results = anonymiser.analyse_many((m.text, m.lang) for m in messages)
        return [Prediction([(s.start, s.end) for s in r.spans], r.special_category) for r in results]

    return analyse


def deduce_analyse(deduce: object) -> Analyse:
    def analyse(messages: list[GoldMessage]) -> list[Prediction]:
        predictions = []
        for message in messages:
            document = deduce.deidentify(message.text)  # type: ignore[attr-defined]
            spans = [(a.start_char, a.end_char) for a in document.annotations]
            predictions.append(Prediction(spans, special_category=False))  # deduce has no such notion
        return predictions

    return analyse


def load_deduce() -> tuple[object | None, float]:
    try:
        from deduce import Deduce  # type: ignore[import-not-found]  # GPL: benchmark only
    except ImportError:
        return None, 0.0
    started = time.perf_counter()
    deduce = Deduce()
    return deduce, time.perf_counter() - started


# --- measurements ---------------------------------------------------------------------


def messages_per_second(process: Callable[[Items], Iterable[object]], items: Items) -> dict[str, float]:
    """Best of SPEED_RUNS runs, per second of wall time and of this process's CPU time."""
    for _ in process(items[:50]):  # warm up
        pass
    best = {"wall": 0.0, "cpu": 0.0}
    for _ in range(SPEED_RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in process(items):
            pass
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best = {"wall": max(best["wall"], len(items) / wall), "cpu": max(best["cpu"], len(items) / cpu)}
    return best


LOAD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from anonymiser import Anonymiser
imported = time.perf_counter()
anonymiser = Anonymiser.load()
loaded = time.perf_counter()

def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

after_load = rss('VmRSS:')
for _ in anonymiser.analyse_many(json.loads(sys.stdin.read())):
    pass
print(json.dumps({'import_s': imported - started, 'load_s': loaded - imported,
                  'rss_after_load_mb': after_load, 'peak_rss_mb': rss('VmHWM:')}))
"""


def load_time_and_memory(corpora: Sequence[Corpus]) -> dict[str, float]:
    """Load time and memory, in a fresh interpreter (nothing imported or cached yet)."""
    texts = [(m.text, m.lang) for corpus in corpora for m in corpus.messages]
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout)


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


# --- tables ---------------------------------------------------------------------------


def fmt(value: float | None, goal: float | None = None, higher_is_better: bool = True) -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}" if value < 10 else f"{value:.0f}"
    if goal is None:
        return text
    met = value >= goal if higher_is_better else value <= goal
    return f"[green]{text}[/]" if met else f"[red]{text}[/]"


SUMMARY_ROWS: tuple[tuple[str, str, Callable[[Scores], float | None]], ...] = (
    ("direct-identifier recall", "direct", lambda s: s.direct_recall),
    ("quasi-identifier recall", "quasi", lambda s: s.quasi_recall),
    ("character precision", "char_precision", lambda s: s.char_precision),
    ("special-category recall", "special_recall", lambda s: s.special_recall),
    ("special-category precision", "special_precision", lambda s: s.special_precision),
)


def quality_table(corpus: Corpus, runs: list[Run]) -> Table:
    """One corpus: the anonymiser and deduce side by side."""
    words = sum(len(m.text.split()) for m in corpus.messages) / len(corpus.messages)
    table = Table(title=f"{corpus.name}: {len(corpus.messages)} messages, {words:.0f} words on average")
    table.add_column("metric")
    table.add_column("goal", justify="right")
    for run in runs:
        table.add_column(run.system, justify="right")
    for label in LABELS:
        cells = []
        for run in runs:
            caught, total = run.scores.caught[label], run.scores.total[label]
            cells.append(f"{fmt(run.scores.recall([label]))} ({caught}/{total})" if total else "–")
        table.add_row(f"recall {label}", "", *cells)
    for title, goal, value in SUMMARY_ROWS:
        cells = [
            "n/a"
            if run.system == "deduce" and goal.startswith("special")  # deduce does not detect them
            else fmt(value(run.scores), GOALS[goal])
            for run in runs
        ]
        table.add_row(f"[bold]{title}[/]", f">= {GOALS[goal]}", *cells)
    return table


def performance_table(
    ours: dict[str, float], speed: dict[str, float], theirs: dict[str, float] | None, their_load: float | None
) -> Table:
    table = Table(title=f"Speed (messages of ~{WORDS_PER_MESSAGE} words, after load), load time, memory")
    for column in ("metric", "goal", "anonymiser", "deduce"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    rate, rss, load = GOALS["messages_per_s"], GOALS["rss_mb"], GOALS["load_s"]
    their_cpu = fmt(theirs and theirs["cpu"])
    table.add_row("messages/s, one core (CPU time)", f">= {rate}", fmt(speed["cpu"], rate), their_cpu)
    table.add_row("messages/s, wall clock", "", fmt(speed["wall"]), fmt(theirs and theirs["wall"]))
    table.add_row("load, s (both languages)", f"<= {load}", fmt(ours["load_s"], load, False), fmt(their_load))
    table.add_row("import + load, s", "", fmt(ours["import_s"] + ours["load_s"]), "–")
    table.add_row("RSS after load, MB", f"<= {rss}", fmt(ours["rss_after_load_mb"], rss, False), "–")
    table.add_row("peak RSS after all corpora, MB", f"<= {rss}", fmt(ours["peak_rss_mb"], rss, False), "–")
    return table


# --- main -----------------------------------------------------------------------------


def evaluate(system: str, analyse: Analyse, corpora: Sequence[Corpus]) -> list[Run]:
    return [Run(system, corpus.name, score(corpus.messages, analyse(corpus.messages))) for corpus in corpora]


def main(argv: list[str]) -> int:
    corpora = load_corpora()
    pin_to_one_core()
    ours = load_time_and_memory(corpora)
    anonymiser = Anonymiser.load()
    runs = evaluate("anonymiser", anonymiser_analyse(anonymiser), corpora)
    speed_items = (hundred_word_messages(corpora) * 10)[:SPEED_MESSAGES]
    speed = messages_per_second(anonymiser.analyse_many, speed_items)

    deduce, deduce_load = load_deduce() if "--no-deduce" not in argv else (None, 0.0)
    deduce_speed = None
    if deduce is not None:
        runs += evaluate("deduce", deduce_analyse(deduce), corpora)
        deduce_texts = speed_items[:DEDUCE_SPEED_MESSAGES]
        deduce_speed = messages_per_second(
            lambda items: (deduce.deidentify(text) for text, _ in items),  # type: ignore[attr-defined]
            deduce_texts,
        )
    elif "--no-deduce" not in argv:
        console.print("[yellow]deduce is not installed (pip install -e '.[bench]'); no comparison[/]")

    console.print("Recall: a gold entity counts as caught when every non-space character is redacted.")
    for corpus in corpora:
        console.print(quality_table(corpus, [run for run in runs if run.corpus == corpus.name]))
    console.print(performance_table(ours, speed, deduce_speed, deduce_load if deduce is not None else None))
    if "--misses" in argv:
        for run in runs:
            for message_id, label, text in run.scores.misses if run.system == "anonymiser" else ():
                console.print(f"[dim]{run.corpus}[/] missed {message_id} {label}: {text!r}", highlight=False)
    return 0
