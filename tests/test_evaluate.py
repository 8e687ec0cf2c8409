"""The evaluation benchmark (issue 9) on a two-image folder, with the shipped x2 model."""

from __future__ import annotations

from pathlib import Path

from benchmarks.evaluate import evaluate
from tests.conftest import set5_image


def test_evaluate_scores_each_image_and_reports_progress(tmp_path: Path) -> None:
    butterfly = set5_image("butterfly.png")
    butterfly.crop((100, 100, 148, 147)).save(tmp_path / "a.png")  # 47 rows: modcropped to 46
    butterfly.crop((20, 150, 60, 190)).save(tmp_path / "b.png")
    lines: list[str] = []
    result = evaluate(2, tmp_path, "png", None, [0], 0.0, "irn-x2", progress=lines.append)
    assert len(lines) == 2 and "[1/2] a.png" in lines[0] and "[2/2] b.png" in lines[1]
    assert result["model"].startswith("irn-x2@") and [r["image"] for r in result["images"]] == ["a.png", "b.png"]
    mean = result["mean"]
    assert mean["bpp"] > 0
    # IRN beats bicubic, and reconstructs its own LR far better than a bicubic one (the research warning)
    assert mean["psnr-y"] > mean["bicubic/psnr-y"] + 3.0
    assert mean["psnr-y"] > mean["irn-on-bicubic-lr/psnr-y"] + 3.0


def test_evaluate_encodes_with_the_version_it_names(tmp_path: Path) -> None:
    # an older, non-default version of irn-x4 must be measured, not the id's default
    from irncodec import registry

    older = next(m for m in registry.MODELS if m.id == "irn-x4" and not m.default)
    default = registry.default_model(4, "png")
    set5_image("butterfly.png").crop((0, 0, 64, 64)).save(tmp_path / "a.png")
    old, new = (evaluate(4, tmp_path, "png", None, [0], 0.0, m.ref) for m in (older, default))
    assert old["model"] == f"irn-x4@{older.hash_prefix}"
    assert old["mean"]["psnr-rgb"] != new["mean"]["psnr-rgb"]
