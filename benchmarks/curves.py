"""Learning curves from training logs: Set5 RGB PSNR (report-only) and held-out validation PSNR
against CPU-hours, one line per run.

    python -m benchmarks.curves docs/training-logs/*.jsonl --out docs/learning-curves.png

The x axis is CPU-hours of training steps (evaluation excluded): the ``cpu`` field of the logs (the
process's CPU seconds, which a paused run or a busy neighbour does not inflate) where a log has it, else
``elapsed`` (wall seconds of steps, which equals CPU seconds for a one-thread run on a quiet core).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def load(path: Path) -> list[dict]:
    return [e for e in map(json.loads, path.read_text().splitlines()) if e.get("event") == "eval"]


def cpu_hours(event: dict) -> float:
    """CPU-hours of training steps behind a log event (see the module docstring)."""
    cpu = event.get("cpu", math.nan)
    return (cpu if math.isfinite(cpu) else event["elapsed"]) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("logs", nargs="+", type=Path, help="log.jsonl files; the file stem is the label")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write (a .md table is written beside it)")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    rows = ["| run | steps | CPU-hours | Set5 RGB PSNR | held-out val PSNR |", "|---|---|---|---|---|"]
    for path in args.logs:
        evals = load(path)
        if not evals:
            continue
        label = path.parent.name if path.stem == "log" else path.stem
        hours = [cpu_hours(e) for e in evals]
        for ax, key in zip(axes, ("report_psnr", "val_psnr"), strict=True):
            ax.plot(hours, [e.get(key) for e in evals], "-o", markersize=3, label=label)
        last = evals[-1]
        rows.append(
            f"| {path.stem} | {last['step']} | {cpu_hours(last):.2f} | {last.get('report_psnr', '')} | "
            f"{last['val_psnr']} |"
        )
    for ax, title in zip(axes, ("Set5 RGB PSNR (report only)", "held-out CBSD432 val PSNR"), strict=True):
        ax.set_xlabel("CPU-hours of training (one core)")
        ax.set_ylabel("PSNR (dB)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    args.out.with_suffix(".md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
