"""`fastml bench`: each accelerated estimator beside scikit-learn on built-in data.

Every module in this package defines ``CASES``, a list of :class:`BenchCase`;
the runner discovers them, so adding an estimator to the bench is adding one
module here (``fastml/_bench/<topic>.py``) and nothing else.
"""

import importlib
import pkgutil
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class BenchCase:
    """One row of the bench table.

    ``make_data()`` builds the inputs once; ``run_fastml(data)`` and
    ``run_sklearn(data)`` each return a result that ``parity(ours, theirs)``
    turns into a short string such as ``"ARI=1.000"`` or ``"max|d|=3e-15"``.
    """

    estimator: str
    data: str
    make_data: Callable[[], Any]
    run_fastml: Callable[[Any], Any]
    run_sklearn: Callable[[Any], Any]
    parity: Callable[[Any, Any], str]
    repeat: int = 3


@dataclass
class BenchResult:
    case: BenchCase
    fastml_first_s: float
    fastml_s: float
    sklearn_s: float
    parity: str
    extra: dict = field(default_factory=dict)

    @property
    def speedup(self):
        return self.sklearn_s / self.fastml_s if self.fastml_s > 0 else float("inf")


def discover_cases(pattern=None):
    """All registered cases, in module order; ``pattern`` filters by substring."""
    cases = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    if pattern:
        p = pattern.lower()
        cases = [c for c in cases if p in c.estimator.lower() or p in c.data.lower()]
    return cases


def _best_time(fn, data, repeat):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(data)
        best = min(best, time.perf_counter() - t0)
    return best, result


def run_case(case, repeat=None):
    """Time fastml (first call separately, then best of ``repeat``) and scikit-learn."""
    repeat = case.repeat if repeat is None else repeat
    data = case.make_data()
    t0 = time.perf_counter()
    case.run_fastml(data)  # first call: includes lazy imports and any JIT compile
    first = time.perf_counter() - t0
    fm_s, fm_result = _best_time(case.run_fastml, data, repeat)
    case.run_sklearn(data)  # warm scikit-learn's lazy imports too, for fairness
    sk_s, sk_result = _best_time(case.run_sklearn, data, repeat)
    return BenchResult(case, first, fm_s, sk_s, case.parity(fm_result, sk_result))


class ProgressBar:
    """A dependency-free progress bar on stderr."""

    def __init__(self, total, width=30, stream=None):
        self.total, self.width, self.done = max(total, 1), width, 0
        self.stream = stream or sys.stderr

    def step(self, label=""):
        self.done += 1
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


HEADER = ("estimator", "data", "fastml s", "first call s", "scikit-learn s", "speed-up", "parity")


def format_table(results, markdown=False):
    rows = [
        (
            r.case.estimator,
            r.case.data,
            f"{r.fastml_s:.4f}",
            f"{r.fastml_first_s:.4f}",
            f"{r.sklearn_s:.4f}",
            f"{r.speedup:.2f}x",
            r.parity,
        )
        for r in results
    ]
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*HEADER), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def plot_speedups(results, path):
    """Horizontal bar chart of speed-ups (log scale), written to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # matplotlib is in the `bench` extra only
        raise SystemExit(
            "--plot needs matplotlib: pip install 'fastml[bench]'"
        ) from exc
    labels = [f"{r.case.estimator}\n{r.case.data}" for r in results]
    speedups = [r.speedup for r in results]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(results) + 1.2))
    colors = ["tab:green" if s >= 1 else "tab:red" for s in speedups]
    ax.barh(range(len(results)), speedups, color=colors)
    ax.set_yticks(range(len(results)), labels, fontsize=8)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("speed-up over scikit-learn (higher is better)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
