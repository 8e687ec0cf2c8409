"""Learning curves from training logs: held-out validation PSNR and Set5 RGB PSNR (report-only, where a run
logged it) against CPU-hours, one line per run or per chain of runs.

    L=docs/training-logs; python -m benchmarks.curves \
        $L/x2-fast.jsonl+x2-anneal-fp32.jsonl+x2-anneal2-fp32.jsonl+x2-p96-fp32.jsonl+x2-ema-fp32.jsonl \
        $L/x2-fast.jsonl+x2-const2e-4-fp32.jsonl --out docs/learning-curves-x2.png

A ``+`` joins logs of runs that continued each other (``--init-from`` the previous one's weights): the line
starts each one where the previous one ended, so the x axis is the CPU-hours behind the weights, and the line
is labelled by its last run. ``log.jsonl@STEP`` cuts a log at a step: for a run continued from a checkpoint
before its end (or weights taken between evaluations), the next run starts at the CPU-hours of the last logged
event up to that step. Names after the first ``+`` are looked up beside the first log. Chains that share a
prefix draw it once per chain (the lines overlap there).

The x axis is CPU-hours of training steps (evaluation excluded): the ``cpu`` field of the logs (the
process's CPU seconds, which a paused run or a busy neighbour does not inflate) where a log has it, else
``elapsed`` (wall seconds of steps, which equals CPU seconds for a one-thread run on a quiet core).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Curve", "chain", "cpu_hours", "load"]

PANELS = (("val_psnr", "held-out CBSD432 val PSNR"), ("report_psnr", "Set5 RGB PSNR (report only)"))


def load(path: Path, last_step: float = math.inf) -> list[dict]:
    """The events of a log that carry a step, up to ``last_step``."""
    events = map(json.loads, path.read_text().splitlines())
    return [e for e in events if "step" in e and e["step"] <= last_step]


def cpu_hours(event: dict) -> float:
    """CPU-hours of training steps behind a log event (see the module docstring)."""
    cpu = event.get("cpu", math.nan)
    return (cpu if math.isfinite(cpu) else event["elapsed"]) / 3600


@dataclass(frozen=True)
class Curve:
    """One line: evaluation events of a chain of runs, with the CPU-hours behind each."""

    label: str
    hours: list[float]
    evals: list[dict]


def chain(spec: str) -> Curve:
    """The curve of ``a.jsonl+b.jsonl@STEP+...`` (see the module docstring). Raises :class:`FileNotFoundError`
    for a missing log and :class:`ValueError` for one without evaluations up to its step (a chain through it would
    have no point to start the next run from)."""
    first, *rest = spec.split("+")
    offset, hours, evals = 0.0, [], []
    for index, part in enumerate([first, *rest]):
        name, _, step = part.partition("@")
        path = Path(name) if index == 0 else Path(first).parent / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such log")
        events = load(path, int(step) if step else math.inf)
        found = [e for e in events if e.get("event") == "eval"]
        if not found:
            raise ValueError(f"{part}: no eval events")
        hours += [offset + cpu_hours(e) for e in found]
        evals += found
        offset += max(cpu_hours(e) for e in events if "elapsed" in e)
    label = Path([first, *rest][-1].partition("@")[0])
    return Curve(label.parent.name if label.stem == "log" else label.stem, hours, evals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("logs", nargs="+", help="log.jsonl files, or chains a.jsonl+b.jsonl; the stem is the label")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write (a .md table is written beside it)")
    parser.add_argument("--title", default="", help="figure title")
    parser.add_argument("--val-ylim", nargs=2, type=float, metavar=("LO", "HI"), help="PSNR range, held-out panel")
    args = parser.parse_args()
    try:
        curves = [chain(spec) for spec in args.logs]
    except (OSError, ValueError) as err:
        parser.error(str(err))
    panels = [(key, title) for key, title in PANELS if any(key in e for c in curves for e in c.evals)]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.5), dpi=110, squeeze=False)
    rows = ["| run | steps | CPU-hours in all | held-out val PSNR | Set5 RGB PSNR |", "|---|---|---|---|---|"]
    for rank, curve in enumerate(curves):
        for ax, (key, _) in zip(axes[0], panels, strict=True):
            points = [(h, e[key]) for h, e in zip(curve.hours, curve.evals, strict=True) if key in e]
            if points:
                # The first chain on top: later ones share its prefix.
                ax.plot(*zip(*points, strict=True), "-o", markersize=3, label=curve.label, zorder=len(curves) - rank)
        last = curve.evals[-1]
        rows.append(
            f"| {curve.label} | {last['step']} | {curve.hours[-1]:.2f} | {last['val_psnr']} | "
            f"{last.get('report_psnr', '')} |"
        )
    for ax, (key, title) in zip(axes[0], panels, strict=True):
        ax.set_xlabel("CPU-hours of training behind the weights (one core)")
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if args.val_ylim and key == "val_psnr":
            ax.set_ylim(*args.val_ylim)
        ax.legend(fontsize=7)
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    args.out.with_suffix(".md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
