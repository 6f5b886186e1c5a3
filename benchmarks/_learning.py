"""What the learning benchmarks (`learn_*.py`) share: one training run timed with and without its evaluations, and the
first evaluation that reaches a bar."""
from __future__ import annotations
import time
from pathlib import Path
from typing import Callable

from torchrl_lit.presets import _parse_value
from torchrl_lit.trainers import Evaluator, read_metrics

EVAL_SECONDS = [0.0]  # time spent in our evaluations, summed by the wrapper below


def _timed_evaluate(evaluate):
    "Wrap `Evaluator.evaluate` to add its wall-clock time to EVAL_SECONDS (measurement only: it evaluates as before)."
    def wrapper(self):
        start = time.perf_counter()
        try: return evaluate(self)
        finally: EVAL_SECONDS[0] += time.perf_counter() - start
    return wrapper

Evaluator.evaluate = _timed_evaluate(Evaluator.evaluate)


def first_reaching(evals: list[tuple[int, float]], bar: float) -> int | None:
    "The frames of the first evaluation at or above `bar`, or None."
    return next((frames for frames, value in evals if value >= bar), None)


def timed_run(train: Callable, cfg, run_dir: Path) -> tuple[dict, object]:
    "Run `train(cfg, run_dir, progress=False)`; its evaluations, final return and seconds (with and without evaluations), and its result."
    EVAL_SECONDS[0] = 0.0
    start = time.perf_counter()
    result = train(cfg, run_dir, progress=False)
    seconds = time.perf_counter() - start
    m = read_metrics(result.metrics)
    evals = [(int(f), v) for f, v in zip(m["frames"], m["eval_return"]) if v == v]
    return {"evals": evals, "final": result.final_eval_return, "seconds": seconds, "train_seconds": seconds - EVAL_SECONDS[0]}, result


def set_overrides(parser, items: list[str], overrides: dict | None = None) -> dict:
    "`overrides` plus the `--set KEY=VALUE` arguments `items` (a value is read as a Python literal, else kept as a string)."
    overrides = dict(overrides or {})
    for item in items:
        key, sep, value = item.partition("=")
        if not sep: parser.error(f"--set needs KEY=VALUE, received {item!r}")
        overrides[key] = _parse_value(value)
    return overrides
