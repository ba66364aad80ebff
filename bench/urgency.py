"""How well the urgency lists catch danger and leave ordinary messages alone, per language.

    .venv/bin/python -m bench.urgency [--keywords data/urgent_keywords.toml] [--quiet] [--held-out]
                                      [--extra DIR ...]

Reads the development corpus (`data/urgency-corpus/{ru,ky,en}.txt`), the later development
corpora (`second/` to `ninth/`, each written before the lists were changed for it), the
project's starting set (`data/urgency-corpus/starting/`) and the blind set
(`data/urgency-corpus/blind/`, written by someone who never saw the lists), runs
`UrgencyKeywords.match` on every message and prints, per set and language: danger and
ordinary messages, recall (danger caught), the false-alarm rate (ordinary flagged) and how many
of the false alarms were hard cases; then every miss and every false alarm with what matched,
for reviewers; then microseconds per message.

The blind set is also shown as two halves: "blind-dev" (the 1st, 3rd, 5th… message of each
section), which list edits may be checked against, and "blind-held-out" (the 2nd, 4th…), which
must not be: its messages, like those of the whole blind set, are never printed, and its
figures (and the whole set's) only with --held-out, to be read once a change is done, so they
stay an honest estimate of how the lists do on messages nobody tuned them to.

`--extra DIR` measures one more set in the same format (`DIR/ru.txt`, `ky.txt`, `en.txt`, any of
them), reported on its own under the directory's name: a held-out set the lists were never tuned
on. Its misses and false alarms are listed unless `--quiet` is given, so whoever keeps it blind
reads only the figures.
`tests/test_urgency.py` imports `measure` and keeps the figures above a floor.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.languages import SUPPORTED_LANGUAGES
from core.urgency import UrgencyKeywords

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "urgency-corpus"
BLIND = CORPUS / "blind"
SETS = {
    "corpus": CORPUS,
    "second": CORPUS / "second",
    "third": CORPUS / "third",
    "fourth": CORPUS / "fourth",
    "fifth": CORPUS / "fifth",
    "sixth": CORPUS / "sixth",
    "seventh": CORPUS / "seventh",
    "eighth": CORPUS / "eighth",
    "ninth": CORPUS / "ninth",
    "starting": CORPUS / "starting",
    "blind": BLIND,
}
HALVES = {"blind-dev": (BLIND, 1), "blind-held-out": (BLIND, 0)}  # position in section % 2
# sets whose misses and false alarms are printed
SHOWN = (*(name for name in SETS if name != "blind"), "blind-dev")
HELD_OUT = ("blind", "blind-held-out")  # sets measured only with --held-out
KEYWORDS = ROOT / "data" / "urgent_keywords.toml"
SECTIONS = {"danger": (True, False), "ordinary": (False, False), "hard": (False, True)}


@dataclass(frozen=True)
class Sample:
    language: str
    danger: bool
    hard: bool  # an ordinary message with an alarming piece in it
    text: str
    position: int = 1  # 1 for the first message of its section, 2 for the second…


@dataclass
class Figures:
    """One language of one set."""

    danger: int = 0
    ordinary: int = 0
    hard: int = 0
    caught: int = 0
    false_alarms: int = 0
    hard_false_alarms: int = 0
    misses_list: list[str] = field(default_factory=list)
    false_alarms_list: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.danger if self.danger else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.ordinary if self.ordinary else 0.0


def load(directory: Path) -> list[Sample]:
    """Every message of a set: one file per language, sections [danger], [ordinary], [hard]."""
    samples = []
    for language in SUPPORTED_LANGUAGES:
        path = directory / f"{language}.txt"
        if not path.exists():
            continue
        section, position = None, 0
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section, position = line[1:-1], 0
                if section not in SECTIONS:
                    raise ValueError(f"{path}: unknown section [{section}]")
                continue
            if section is None:
                raise ValueError(f"{path}: a message before any section: {line!r}")
            danger, hard = SECTIONS[section]
            position += 1
            samples.append(Sample(language, danger, hard, line, position))
    return samples


def load_set(name: str) -> list[Sample]:
    """A set by name: one of `SETS`, or a half of the blind set (see `HALVES`)."""
    if name in SETS:
        return load(SETS[name])
    directory, parity = HALVES[name]
    return [sample for sample in load(directory) if sample.position % 2 == parity]


def measure(keywords: UrgencyKeywords, samples: list[Sample]) -> dict[str, Figures]:
    """Recall and false alarms per language, with the misses and false alarms themselves."""
    figures: dict[str, Figures] = {}
    for sample in samples:
        row = figures.setdefault(sample.language, Figures())
        match = keywords.match(sample.text)
        if sample.danger:
            row.danger += 1
            if match:
                row.caught += 1
            else:
                row.misses_list.append(sample.text)
        else:
            row.ordinary += 1
            row.hard += sample.hard
            if match:
                row.false_alarms += 1
                row.hard_false_alarms += sample.hard
                row.false_alarms_list.append((sample.text, match.terms))
    return figures


def microseconds_per_message(
    keywords: UrgencyKeywords, texts: list[str], rounds: int = 20
) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            keywords.match(text)
    return (time.perf_counter() - started) / (rounds * len(texts)) * 1e6


def _print_table(name: str, figures: dict[str, Figures]) -> None:
    print(f"\n{name}")
    print(f"{'lang':<5}{'danger':>7}{'ordinary':>9}{'(hard)':>7}{'recall':>9}{'false alarms':>14}")
    for language, row in figures.items():
        alarms = f"{row.false_alarm_rate:.1%} ({row.false_alarms}, {row.hard_false_alarms} hard)"
        print(
            f"{language:<5}{row.danger:>7}{row.ordinary:>9}{row.hard:>7}"
            f"{row.recall:>9.1%}  {alarms}"
        )


def _print_details(name: str, figures: dict[str, Figures]) -> None:
    for language, row in figures.items():
        for text in row.misses_list:
            print(f"  {name}/{language} MISSED: {text}")
        for text, terms in row.false_alarms_list:
            print(f"  {name}/{language} FALSE ALARM: {text}  <- {' | '.join(terms)}")


def report_extra(keywords: UrgencyKeywords, directory: Path, *, quiet: bool) -> bool:
    """Print the figures of a set kept outside the repository (and, unless quiet, its misses and
    false alarms); False when the directory holds no set."""
    samples = load(directory)
    if not samples:
        return False
    name = f"extra {directory}"
    figures = measure(keywords, samples)
    _print_table(name, figures)
    if not quiet:
        _print_details(name, figures)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keywords", type=Path, default=KEYWORDS)
    parser.add_argument("--quiet", action="store_true", help="only the tables")
    parser.add_argument(
        "--held-out", action="store_true", help="also the whole blind set and its held-out half"
    )
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="one more set (DIR/ru.txt, ky.txt, en.txt), reported on its own",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    keywords = UrgencyKeywords.load(args.keywords)
    load_ms = (time.perf_counter() - started) * 1e3
    texts = []
    for name in [*SETS, *HALVES]:
        samples = load_set(name)
        if name in SETS:
            texts += [sample.text for sample in samples]
        if name in HELD_OUT and not args.held_out:
            continue
        figures = measure(keywords, samples)
        _print_table(name, figures)
        if not args.quiet and name in SHOWN:
            _print_details(name, figures)
    for directory in args.extra:
        if not report_extra(keywords, directory, quiet=args.quiet):
            parser.error(f"no ru.txt, ky.txt or en.txt in {directory}")
    print(f"\nlists compiled in {load_ms:.0f} ms; ", end="")
    print(f"{microseconds_per_message(keywords, texts):.0f} µs per message")


if __name__ == "__main__":
    main()
