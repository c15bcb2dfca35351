"""Hyper-parameter search: seeded random trials in parallel processes, ranges narrowed round by round.

The procedure of the seed notes: sample configurations from ranges, train each, score it on validation,
narrow the ranges, repeat. A search space is written ``"lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2"``:
``name=lo:hi`` a uniform range, ``:log`` log-uniform, ``:int`` integers; ``name=a|b|c`` a choice.

After each round the ranges **narrow to the span of the best quarter of its trials** (at least one
trial): a range becomes ``[min, max]`` of the values the best trials used, a choice keeps only the values
they used. Each trial is one run of the training verb (``python -m wordlab VERB train … --config
TRIAL.json --max-minutes M --json``) in its own process, ``parallel`` at a time; its score is read from
the verb's JSON output. Trial *k* of round *r* samples from ``random.Random(f"{seed}:{r}:{k}")``, so a
search is reproducible and resumable: ``tune.json`` in the output folder records every finished trial,
and a rerun skips them. The best configuration is written as ``best.json``, a file that ``VERB train
--config best.json`` accepts (with the same base arguments).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .atomic import atomic_write_text, check_output_dir
from .errors import ConfigError

log = logging.getLogger(__name__)

#: the score each verb's JSON output gives, and whether lower is better
DEFAULT_METRICS = {"lm": ("valid_ppl", "min"), "seq2seq": ("valid_loss", "min"), "classify": ("best_dev_acc", "max")}


@dataclass(frozen=True)
class Dim:
    """One dimension of a search space: a range ``[lo, hi]`` (``log``, ``integer``) or a choice of ``values``."""

    name: str
    lo: float = 0.0
    hi: float = 0.0
    log: bool = False
    integer: bool = False
    values: tuple = ()

    def sample(self, rng: random.Random) -> Any:
        if self.values:
            return rng.choice(self.values)
        if self.integer:
            return rng.randint(int(self.lo), int(self.hi))
        if self.log:
            return math.exp(rng.uniform(math.log(self.lo), math.log(self.hi)))
        return rng.uniform(self.lo, self.hi)

    def narrow(self, used: Sequence[Any]) -> "Dim":
        """The span (or the set) of ``used`` values."""
        if self.values:
            return Dim(self.name, values=tuple(v for v in self.values if v in used))
        return Dim(self.name, lo=min(used), hi=max(used), log=self.log, integer=self.integer)

    def describe(self) -> str:
        if self.values:
            return "|".join(str(v) for v in self.values)
        return f"{self.lo:g}:{self.hi:g}" + (":log" if self.log else "") + (":int" if self.integer else "")


def _number(text: str) -> int | float | str:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_space(text: str) -> list[Dim]:
    """``"lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2"`` → dimensions (one-line :class:`ConfigError` if malformed)."""
    dims: list[Dim] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        name, sep, spec = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name or not spec:
            raise ConfigError(f"--space: {item!r} is not NAME=LO:HI[:log|:int] or NAME=A|B")
        if "|" in spec:
            dims.append(Dim(name, values=tuple(_number(v.strip()) for v in spec.split("|"))))
            continue
        parts = spec.split(":")
        flags = set(parts[2:])
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ConfigError(f"--space: {item!r}: a range is LO:HI with numbers (add :log or :int)") from None
        if flags - {"log", "int"} or not lo <= hi or ("log" in flags and lo <= 0):
            raise ConfigError(f"--space: {item!r}: need LO <= HI, LO > 0 for :log, and only :log / :int after them")
        dims.append(Dim(name, lo=lo, hi=hi, log="log" in flags, integer="int" in flags))
    if not dims:
        raise ConfigError("--space is empty; e.g. --space 'lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2'")
    if len({d.name for d in dims}) != len(dims):
        raise ConfigError("--space names a parameter twice")
    return dims


def sample(space: Sequence[Dim], seed: int, round_: int, trial: int) -> dict[str, Any]:
    """Trial ``trial`` of round ``round_``: one value per dimension, from its own seeded generator."""
    rng = random.Random(f"{seed}:{round_}:{trial}")
    return {d.name: d.sample(rng) for d in space}


def narrow(space: Sequence[Dim], trials: Sequence["Trial"], mode: str, fraction: float = 0.25) -> list[Dim]:
    """The space spanned by the best ``fraction`` of ``trials`` (by score; at least one trial)."""
    sign = 1 if mode == "min" else -1
    scored = sorted((t for t in trials if t.score is not None), key=lambda t: (sign * t.score, t.index))
    if not scored:
        return list(space)
    best = scored[:max(1, math.ceil(fraction * len(scored)))]
    return [d.narrow([t.params[d.name] for t in best]) for d in space]


@dataclass
class Trial:
    """One finished trial: its round, index, parameters, score (``None``: it failed) and seconds."""

    round: int
    index: int
    params: dict
    score: float | None = None
    seconds: float = 0.0
    error: str = ""


@dataclass
class Search:
    """A search's settings and its finished trials (``tune.json``)."""

    verb: str
    space: str
    trials_per_round: int
    rounds: int
    metric: str
    mode: str
    seed: int = 0
    budget_minutes: float | None = None
    base_args: list = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)

    def best(self) -> Trial | None:
        done = [t for t in self.trials if t.score is not None]
        if not done:
            return None
        return (min if self.mode == "min" else max)(done, key=lambda t: t.score)


def _score(output: str, metric: str, mode: str) -> float | None:
    """``metric`` in the verb's JSON output: top level, under ``summary``, or the best of ``history`` rows."""
    start = output.find("{")
    if start < 0:
        return None
    try:
        obj = json.loads(output[start:])
    except json.JSONDecodeError:
        return None
    for where in (obj, obj.get("summary") or {}):
        if isinstance(where.get(metric), (int, float)):
            return float(where[metric])
    values = [r[metric] for r in obj.get("history") or [] if isinstance(r.get(metric), (int, float))]
    return (min if mode == "min" else max)(values) if values else None


def run_trial(search: Search, out: Path, round_: int, index: int, params: dict) -> Trial:
    """Train one configuration in a subprocess; its score from the JSON the verb prints."""
    import time

    name = f"r{round_}-t{index:03d}"
    config = out / f"{name}.json"
    atomic_write_text(config, json.dumps(params, indent=1))
    cmd = [sys.executable, "-m", "wordlab", "-q", search.verb, "train", *search.base_args, "--config", str(config),
           "-o", str(out / f"{name}.pt"), "--json"]
    if search.budget_minutes:
        cmd += ["--max-minutes", f"{search.budget_minutes:g}"]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    atomic_write_text(out / f"{name}.log", done.stderr)
    trial = Trial(round_, index, params, seconds=round(time.monotonic() - t0, 1))
    if done.returncode != 0:
        trial.error = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
    else:
        trial.score = _score(done.stdout, search.metric, search.mode)
        if trial.score is None:
            trial.error = f"no {search.metric!r} in the output"
    return trial


def _read_state(path: Path) -> dict:
    """``tune.json`` as a dict; one line naming the file when it is not the JSON this module writes."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: not a readable tune state ({e}); move it away or use another --out") from None
    if not isinstance(saved, dict) or not isinstance(saved.get("trials"), list):
        raise ConfigError(f"{path}: not a tune state (no 'trials' list); move it away or use another --out")
    return saved


def _read_trials(path: Path, saved: dict) -> list[Trial]:
    trials = []
    for k, t in enumerate(saved["trials"]):
        try:
            trial = Trial(**t)
        except TypeError as e:
            raise ConfigError(f"{path}: trial {k} is malformed ({e})") from None
        score_ok = trial.score is None or (isinstance(trial.score, (int, float)) and math.isfinite(trial.score))
        if not (isinstance(trial.params, dict) and isinstance(trial.round, int) and isinstance(trial.index, int)
                and score_ok):
            raise ConfigError(f"{path}: trial {k} is malformed (round, index, params or score of the wrong type)")
        trials.append(trial)
    return trials


def tune(search: Search, out: str | os.PathLike, *, parallel: int = 1,
         on_trial: Callable[[Trial], None] | None = None,
         runner: Callable[[Search, Path, int, int, dict], Trial] = run_trial) -> Search:
    """Run (or resume) ``search`` in folder ``out``; writes ``tune.json`` after every trial and ``best.json``.

    ``parallel`` trials run at once (each its own process with one thread). Returns the search with
    every trial; its :meth:`Search.best` is what ``best.json`` holds.
    """
    out = check_output_dir(out)
    state_file = out / "tune.json"
    if state_file.exists():
        saved = _read_state(state_file)
        same = {k: saved.get(k) for k in ("verb", "space", "trials_per_round", "rounds", "seed")}
        if same != {k: getattr(search, k) for k in same}:
            raise ConfigError(f"{state_file}: holds another search ({same}); use another --out or the same options")
        search.trials = _read_trials(state_file, saved)
        log.info("resuming %s: %d trials done", state_file, len(search.trials))
    if parallel < 1:
        raise ConfigError(f"--parallel must be >= 1, got {parallel}")
    space = parse_space(search.space)

    def save() -> None:
        atomic_write_text(state_file, json.dumps(asdict(search), indent=1))

    for r in range(search.rounds):
        done = {t.index for t in search.trials if t.round == r}
        todo = [(k, sample(space, search.seed, r, k)) for k in range(search.trials_per_round) if k not in done]
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = [pool.submit(runner, search, out, r, k, p) for k, p in todo]
            for f in futures:
                trial = f.result()
                search.trials.append(trial)
                save()
                if on_trial is not None:
                    on_trial(trial)
        space = narrow(space, [t for t in search.trials if t.round == r], search.mode)
        log.info("round %d done; space now %s", r + 1, ",".join(f"{d.name}={d.describe()}" for d in space))
    save()
    best = search.best()
    if best is not None:
        atomic_write_text(out / "best.json", json.dumps(best.params, indent=1))
    return search
