"""Learning-curve chains: a continued run starts where the run it continued ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.curves import chain


def _log(path: Path, evals: list[tuple[int, float, float]], checkpoints: tuple[tuple[int, float], ...] = ()) -> None:
    events = [{"event": "init", "from": "x.pt"}]
    events += [{"event": "eval", "step": s, "elapsed": 99.0, "cpu": c, "val_psnr": p} for s, c, p in evals]
    events += [{"event": "checkpoint", "step": s, "elapsed": 99.0, "cpu": c} for s, c in checkpoints]
    events.sort(key=lambda e: e.get("step", -1))
    path.write_text("\n".join(map(json.dumps, events)) + "\n")


def test_chain_offsets_each_run_by_the_cpu_hours_before_it(tmp_path: Path) -> None:
    _log(tmp_path / "a.jsonl", [(250, 1800.0, 30.0), (500, 3600.0, 31.0)], ((520, 3960.0),))
    _log(tmp_path / "b.jsonl", [(100, 7200.0, 31.5)])
    curve = chain(f"{tmp_path / 'a.jsonl'}+b.jsonl")
    assert curve.label == "b"
    assert curve.hours == pytest.approx([0.5, 1.0, 3.1])  # b starts at a's last event, the step-520 checkpoint
    assert [e["val_psnr"] for e in curve.evals] == [30.0, 31.0, 31.5]


def test_chain_cuts_a_log_at_a_step(tmp_path: Path) -> None:
    _log(tmp_path / "a.jsonl", [(250, 1800.0, 30.0), (500, 3600.0, 31.0)], ((300, 2160.0),))
    _log(tmp_path / "b.jsonl", [(100, 3600.0, 30.5)])
    curve = chain(f"{tmp_path / 'a.jsonl'}@300+b.jsonl")
    assert curve.hours == pytest.approx([0.5, 1.6])  # b continued a's step-300 checkpoint, 0.6 h in
    assert chain(f"{tmp_path / 'a.jsonl'}@300").label == "a"


def test_chain_refuses_a_missing_or_empty_log(tmp_path: Path) -> None:
    _log(tmp_path / "empty.jsonl", [])
    _log(tmp_path / "a.jsonl", [(250, 1800.0, 30.0)])
    with pytest.raises(ValueError, match="no eval events"):
        chain(f"{tmp_path / 'a.jsonl'}+empty.jsonl")
    with pytest.raises(ValueError, match="no eval events"):
        chain(f"{tmp_path / 'a.jsonl'}@100")
    with pytest.raises(FileNotFoundError, match="no such log"):
        chain(f"{tmp_path / 'a.jsonl'}+missing.jsonl")
