"""Print moderation quality and speed on the labelled sets in benchmarks/data/.

    python benchmarks/bench_moderation.py [--errors]
    python benchmarks/bench_moderation.py --first-run FILE

For each moderation set (``moderation_*.jsonl``: dev, extra, holdout…holdout4 and the written-apart
``moderation_batch_*.jsonl``): profanity precision / recall / F1, insult precision / recall, clean
messages flagged (count and share), each for all messages and split into plain and obfuscated ones;
then messages per second in one process. ``--errors`` lists the messages read wrongly.

Moderation is rules, not a model fitted to the sets, so a leave-one-set-out figure would only repeat
the per-set one: the honest figure is the first run on a set written after the rules were frozen.
``--first-run FILE`` reads that one file and prints only its figures (never its misses), with the
commit of the method, as a line to record in benchmarks/data/README.md before anything is tuned on it.
Files named ``*first_run*`` or ``*_r7*`` are never read by the default run: they belong to the lead's
own first runs after the freeze.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.moderation import clear_caches, moderate

DATA = Path(__file__).resolve().parent / "data"
SETS = tuple(f"moderation_{name}.jsonl" for name in ("dev", "extra", "holdout", "holdout2", "holdout3", "holdout4"))
_RESERVED = ("first_run", "_r7")  # the lead's sets after the freeze: never opened here


def set_paths() -> list[Path]:
    """The named sets, then every ``moderation_batch_*.jsonl``, in name order; reserved names left out."""
    paths = [DATA / name for name in SETS if (DATA / name).exists()]
    paths += sorted(p for p in DATA.glob("moderation_batch_*.jsonl") if not any(r in p.name for r in _RESERVED))
    return paths


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()

_LATIN = re.compile(r"[a-z]", re.I)
_CYRILLIC = re.compile(r"[а-яё]", re.I)
# A message is "obfuscated" when it shows a trick a plain writer would not use.
_OBFUSCATION_RULES = (
    re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff]"),  # invisible characters
    re.compile(r"(?:3[.,]14|π)[а-яё]", re.I),  # «3.14здец»
    re.compile(r"[а-яёa-z][*@#!$%]+[а-яёa-z]|[а-яё]{2}[*@#$%]|[*@#$%][а-яё]{2}", re.I),  # masks
    re.compile(r"[а-яё][.…]{3}|[а-яё]…", re.I),  # «бл...»
    re.compile(r"(?<!\S)[а-яёa-z](?:[\s._\-/|]+[а-яёa-z]){2,}(?!\S)", re.I),  # «х у й», «п.и.з.д.а»
    re.compile(r"([а-яё])\1{2,}", re.I),  # stretched letters
    re.compile(r"[а-яё][036][а-яё]|[036][а-яё]{2}|[а-яё]{2}[036]", re.I),  # digits for letters
)


def is_obfuscated(text: str) -> bool:
    if any(rule.search(text) for rule in _OBFUSCATION_RULES):
        return True
    # look-alike letters mixed into a word
    return any(_LATIN.search(word) and _CYRILLIC.search(word) for word in re.findall(r"\w+", text))


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _figures(rows: list[dict], predictions: list) -> str:
    tp = sum(1 for r, p in zip(rows, predictions, strict=True) if r["profanity"] and p.profanity)
    fp = sum(1 for r, p in zip(rows, predictions, strict=True) if not r["profanity"] and p.profanity)
    fn = sum(1 for r, p in zip(rows, predictions, strict=True) if r["profanity"] and not p.profanity)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall) if tp else 0.0
    itp = sum(1 for r, p in zip(rows, predictions, strict=True) if r["insult"] and p.insult)
    ifp = sum(1 for r, p in zip(rows, predictions, strict=True) if not r["insult"] and p.insult)
    ifn = sum(1 for r, p in zip(rows, predictions, strict=True) if r["insult"] and not p.insult)
    clean = [p for r, p in zip(rows, predictions, strict=True) if not r["profanity"] and not r["insult"]]
    flagged = sum(1 for p in clean if p.flagged)
    return (
        f"n={len(rows):3d}  profanity P={precision:.3f} R={recall:.3f} F1={f1:.3f}  "
        f"insult P={_ratio(itp, itp + ifp):.3f} R={_ratio(itp, itp + ifn):.3f}  "
        f"clean flagged {flagged}/{len(clean)}" + (f" ({flagged / len(clean):.1%})" if clean else "")
    )


def _report(name: str, rows: list[dict], predictions: list) -> None:
    print(f"== {name}")
    print(f"  all         {_figures(rows, predictions)}")
    for label, wanted in (("plain", False), ("obfuscated", True)):
        pairs = [(r, p) for r, p in zip(rows, predictions, strict=True) if is_obfuscated(r["text"]) == wanted]
        if pairs:
            print(f"  {label:<11} {_figures([r for r, _ in pairs], [p for _, p in pairs])}")


def first_run(path: Path) -> int:
    """Figures only, on one fresh set: nothing about which lines were missed."""
    rows = _rows(path)
    predictions = [moderate(r["text"]) for r in rows]
    _report(path.name, rows, predictions)
    print(f"first run of the method at {_commit()} on {path.name}: {_figures(rows, predictions)}")
    return 0


def main(argv: list[str]) -> int:
    if "--first-run" in argv:
        index = argv.index("--first-run")
        if index + 1 >= len(argv):
            print("usage: bench_moderation.py --first-run FILE", file=sys.stderr)
            return 2
        return first_run(Path(argv[index + 1]))
    show_errors = "--errors" in argv
    all_texts: list[str] = []
    for path in set_paths():
        rows = _rows(path)
        predictions = [moderate(r["text"]) for r in rows]
        all_texts.extend(r["text"] for r in rows)
        _report(path.name, rows, predictions)
        if show_errors:
            for r, p in zip(rows, predictions, strict=True):
                if (r["profanity"], r["insult"]) != (p.profanity, p.insult):
                    print(f"    want p={int(r['profanity'])} i={int(r['insult'])} got p={int(p.profanity)} "
                          f"i={int(p.insult)} {p.matches} | {r['text']} | {r['note']}")
    rounds = max(1, 20000 // max(1, len(all_texts)))
    start = time.perf_counter()
    for _ in range(rounds):
        for text in all_texts:
            moderate(text)
    warm = time.perf_counter() - start
    clear_caches()
    start = time.perf_counter()
    for text in all_texts:
        moderate(text)
    cold = time.perf_counter() - start
    latencies = []
    for text in all_texts:
        begin = time.perf_counter()
        moderate(text)
        latencies.append(time.perf_counter() - begin)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    print(f"speed: {rounds * len(all_texts) / warm:,.0f} messages/s (one process, word cache warm); "
          f"{len(all_texts) / cold:,.0f} messages/s with a cold cache; p95 {p95:.3f} ms a message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
