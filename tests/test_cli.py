"""The command line, run in-process: commands, outputs, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from irncodec.cli import EXIT_BAD_INPUT, EXIT_IO, EXIT_MODEL, main
from irncodec.train.loop import make_model, recipe_config


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def png(tmp_path: Path, photo: Image.Image) -> Path:
    path = tmp_path / "photo.png"
    photo.save(path)
    return path


def test_encode_decode_info_lr(runner: CliRunner, tiny_models: dict, png: Path, tmp_path: Path) -> None:
    irn = tmp_path / "photo.irn"
    res = runner.invoke(
        main, ["encode", str(png), "-o", str(irn), "--lr-format", "jpeg", "--quality", "80", "--device", "cpu"]
    )
    assert res.exit_code == 0, res.output
    assert irn.read_bytes()[:4] == b"\x89IRN"

    out = tmp_path / "out.png"
    res = runner.invoke(main, ["decode", str(irn), "-o", str(out), "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert Image.open(out).size == Image.open(png).size

    res = runner.invoke(main, ["info", str(irn), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["lr_format"] == "jpeg" and info["lr_quality"] == 80 and info["scale"] == 2
    assert info["file_bytes"] == irn.stat().st_size

    for name in ("preview.jpg", "preview.png"):
        res = runner.invoke(main, ["lr", str(irn), "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        assert Image.open(tmp_path / name).size == (info["lr_width"], info["lr_height"])
    assert (tmp_path / "preview.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_default_output_names(runner: CliRunner, tiny_models: dict, png: Path) -> None:
    assert runner.invoke(main, ["encode", str(png), "--scale", "4", "--device", "cpu"]).exit_code == 0
    assert png.with_suffix(".irn").exists()
    png.unlink()
    assert runner.invoke(main, ["decode", str(png.with_suffix(".irn")), "--device", "cpu"]).exit_code == 0
    assert png.exists()


def test_damaged_file_gives_one_line_and_no_output(
    runner: CliRunner, tiny_models: dict, png: Path, tmp_path: Path
) -> None:
    irn = tmp_path / "photo.irn"
    assert runner.invoke(main, ["encode", str(png), "-o", str(irn), "--device", "cpu"]).exit_code == 0
    data = bytearray(irn.read_bytes())
    data[len(data) // 2] ^= 0xFF
    irn.write_bytes(bytes(data))
    out = tmp_path / "out.png"
    res = runner.invoke(main, ["decode", str(irn), "-o", str(out), "--device", "cpu"])
    assert res.exit_code == EXIT_BAD_INPUT
    assert res.stderr.count("\n") == 1 and "checksum" in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()
    assert list(tmp_path.glob(".out.png*")) == []


@pytest.mark.parametrize("content", [b"", b"hello, not an image", b"\x89IRN\r\n\x1a\n" + bytes(40)])
def test_bad_inputs(runner: CliRunner, tiny_models: dict, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.irn"
    bad.write_bytes(content)
    for args in (
        ["decode", str(bad), "-o", str(tmp_path / "o.png")],
        ["info", str(bad)],
        ["encode", str(bad), "-o", str(tmp_path / "o.irn")],
    ):
        res = runner.invoke(main, args)
        assert res.exit_code == EXIT_BAD_INPUT, (args, res.output)
        assert res.stderr.startswith("irncodec: error:") and res.stderr.count("\n") == 1
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.irn").exists()


def test_missing_input_and_unknown_model(runner: CliRunner, tiny_models: dict, png: Path, tmp_path: Path) -> None:
    res = runner.invoke(main, ["decode", str(tmp_path / "nope.irn")])
    assert res.exit_code != 0 and "nope.irn" in res.stderr
    res = runner.invoke(main, ["encode", str(png), "--model", "irn-x9", "-o", str(tmp_path / "o.irn")])
    assert res.exit_code == EXIT_MODEL and "installed" in res.stderr


def test_mistakes_fail_before_any_work_with_the_right_exit_code(
    runner: CliRunner, tiny_models: dict, png: Path, tmp_path: Path
) -> None:
    """Bad arguments exit 2, missing files 5, each in one line naming the file once, before any encoding or
    decoding (an output folder that does not exist, an output format Pillow cannot write)."""
    cpu = ["--device", "cpu"]
    cases = [
        (["encode", str(png), "-o", str(tmp_path / "no" / "x.irn"), *cpu], EXIT_IO, "does not exist"),
        (["encode", str(tmp_path / "missing.png"), *cpu], EXIT_IO, "no such file"),
        (["decode", str(tmp_path / "missing.irn"), *cpu], EXIT_IO, "no such file"),
        (["decode", str(tmp_path / "missing.irn"), "-d", str(tmp_path / "dd"), *cpu], EXIT_IO, "no such file"),
        (["encode", str(png), "--quality", "50", *cpu], 2, "--lr-format jpeg"),
        (["encode", str(png), "--model", "tiny-x4", "--scale", "2", *cpu], 2, "scale 4"),
        (["encode", str(png), "--tile", "8", *cpu], 2, "at least 16"),
        (["decode", str(png), "-o", str(tmp_path / "out.xyz"), *cpu], 2, "unknown image format"),
        (["decode", str(png), "-d", str(tmp_path / "dd"), "--format", "foo", *cpu], 2, "unknown image format"),
    ]
    for args, code, text in cases:
        res = runner.invoke(main, args)
        assert res.exit_code == code and text in res.stderr, (args, res.output)
        assert "Traceback" not in res.output
        if code != 2:
            name = Path(args[1]).name
            assert res.stderr.count("\n") == 1 and res.stderr.count(name) == 1, res.stderr
    assert not (tmp_path / "dd").exists() and not list(tmp_path.glob("*.irn"))
    # a model's own scale is the default
    res = runner.invoke(main, ["encode", str(png), "--model", "tiny-x4", "-o", str(tmp_path / "m.irn"), *cpu])
    assert res.exit_code == 0 and "scale=4" in res.stderr, res.output
    res = runner.invoke(main, ["encode", str(png), "-o", str(tmp_path / "m.png"), *cpu])
    assert res.exit_code == 0 and "note:" in res.stderr  # .irn data under another extension: said, not refused


def test_ctrl_c_exits_130_in_one_line(
    runner: CliRunner, tiny_models: dict, png: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import irncodec.batch

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(irncodec.batch, "run_jobs", interrupted)
    res = runner.invoke(main, ["encode", str(png), "--device", "cpu"])
    assert res.exit_code == 130 and res.stderr == "irncodec: error: interrupted\n"


def test_alpha_is_never_dropped_silently(
    runner: CliRunner, tiny_models: dict, photo: Image.Image, tmp_path: Path
) -> None:
    src = tmp_path / "rgba.png"
    rgba = photo.convert("RGBA")
    rgba.putpixel((3, 4), (10, 20, 30, 0))
    rgba.save(src)
    irn = tmp_path / "rgba.irn"
    assert runner.invoke(main, ["encode", str(src), "-o", str(irn), "--device", "cpu"]).exit_code == 0
    res = runner.invoke(main, ["decode", str(irn), "-o", str(tmp_path / "out.jpg"), "--device", "cpu"])
    assert res.exit_code == EXIT_BAD_INPUT and "alpha" in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "out.jpg").exists()
    opaque = tmp_path / "opaque.png"
    photo.convert("RGBA").save(opaque)  # all alpha 255: a JPEG loses nothing, so it is written
    assert runner.invoke(main, ["encode", str(opaque), "--device", "cpu"]).exit_code == 0
    res = runner.invoke(
        main, ["decode", str(tmp_path / "opaque.irn"), "-o", str(tmp_path / "o.jpg"), "--device", "cpu"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main, ["decode", str(tmp_path / "rgba.irn"), "-o", str(tmp_path / "out.webp"), "--device", "cpu"]
    )
    assert res.exit_code == 0 and Image.open(tmp_path / "out.webp").getpixel((3, 4))[3] == 0


def test_existing_output_survives_a_failed_run(runner: CliRunner, tiny_models: dict, tmp_path: Path) -> None:
    bad = tmp_path / "bad.irn"
    bad.write_bytes(b"junk")
    out = tmp_path / "keep.png"
    out.write_bytes(b"previous content")
    assert runner.invoke(main, ["decode", str(bad), "-o", str(out)]).exit_code == EXIT_BAD_INPUT
    assert out.read_bytes() == b"previous content"


def test_models_lists_registry(runner: CliRunner, tiny_models: dict) -> None:
    res = runner.invoke(main, ["models"])
    assert res.exit_code == 0 and "tiny-x2@" in res.output and "tiny-x4@" in res.output


def test_budget_flags(runner: CliRunner, tiny_models: dict, png: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.irn"
    res = runner.invoke(
        main,
        [
            "encode",
            str(png),
            "-o",
            str(out),
            "--lr-format",
            "jpeg",
            "--max-bytes",
            "900",
            "--scale",
            "2",
            "--device",
            "cpu",
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.stat().st_size <= 900 and "quality=" in res.stderr and "model=tiny-x2" in res.stderr
    assert "scale=2" in res.stderr and "budget search: 1 tried in" in res.stderr  # progress for slow searches
    res = runner.invoke(
        main, ["encode", str(png), "-o", str(out), "--lr-format", "webp", "--bpp", "8", "--device", "cpu"]
    )
    assert res.exit_code == 0 and out.stat().st_size * 8 <= 8 * 37 * 29
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), "--max-bytes", "10", "--quality", "5"])
    assert res.exit_code == 2
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), "--scale", "auto"])
    assert res.exit_code == 2 and "budget" in res.stderr
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), "--pick", "--model", "tiny-x2"])
    assert res.exit_code == 2 and "--pick" in res.stderr
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), "--pick", "--device", "cpu"])
    assert res.exit_code == 0 and "model=tiny-x2" in res.stderr  # no alternative registered: the default
    # --scale auto tries both scales: a budget only x4 meets is met at x4
    x4 = tmp_path / "x4.irn"
    assert runner.invoke(main, ["encode", str(png), "-o", str(x4), "--scale", "4", "--device", "cpu"]).exit_code == 0
    budget = ["--max-bytes", str(x4.stat().st_size), "--device", "cpu"]
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), *budget])
    assert res.exit_code == EXIT_BAD_INPUT and "--scale auto" in res.stderr
    res = runner.invoke(main, ["encode", str(png), "-o", str(out), *budget, "--scale", "auto"])
    assert res.exit_code == 0 and "scale=4" in res.stderr and out.stat().st_size <= x4.stat().st_size
    res = runner.invoke(
        main, ["encode", str(png), "-o", str(out), "--lr-format", "jpeg", "--max-bytes", "50", "--device", "cpu"]
    )
    assert res.exit_code == EXIT_BAD_INPUT and "budget" in res.stderr


def test_progress_off_a_terminal_writes_counted_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from irncodec.cli import progress

    with progress(3, "work", every=0.0) as update:
        for _ in range(3):
            update(1)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" in ")[0] for line in lines] == ["work: 1/3", "work: 2/3", "work: 3/3"]
    assert "ETA" in lines[0] and "ETA" not in lines[2]
    with progress(3, "quiet", every=3600.0) as update:
        for _ in range(3):
            update(1)
    assert [line.split(" in ")[0] for line in capsys.readouterr().err.splitlines()] == ["quiet: 1/3", "quiet: 3/3"]


def _train_args(tmp_path: Path, *extra: str) -> list[str]:
    """`irncodec train` on 13 tiny random photos (12 held out, one to train on) with a tiny corrected IRN."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(13):
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(data / f"{i:02d}.png")
    args = ["train", "--data", str(data), "--run", str(tmp_path / "run"), "--steps", "2", "--patch", "16"]
    args += ["--blocks", "1", "--growth", "4", "--lc-features", "4", "--lc-blocks", "1", "--batch", "2", "--no-bf16"]
    return args + list(extra)


@pytest.mark.parametrize(
    ("recipe", "flag", "irn_moves"),
    [
        ("corrector", "--freeze-irn", False),
        ("corrector", "--train-irn", True),
        ("joint", None, True),
        ("joint", "--freeze-irn", False),
    ],
)
def test_train_corrector_freezes_or_trains_the_irn(
    runner: CliRunner, tmp_path: Path, recipe: str, flag: str | None, irn_moves: bool
) -> None:
    """`--freeze-irn` (recipe corrector's default) keeps the IRN's tensors; `--train-irn` (joint's) moves them."""
    start = make_model(recipe_config("corrector", 2, blocks=1, growth=4, lc_features=4, lc_blocks=1)).state_dict()
    torch.save(start, tmp_path / "start.pt")
    extra = ["--recipe", recipe, "--eval-every", "1", "--init-from", str(tmp_path / "start.pt")]
    res = runner.invoke(main, _train_args(tmp_path, *extra, *([flag] if flag else [])))
    assert res.exit_code == 0, res.output
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["event"] == "eval"] == [1, 2]
    trained = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    assert trained["corrector.tail.weight"].abs().max() > 0
    moved = [k for k in start if not k.startswith("corrector.") and not torch.equal(start[k], trained[k])]
    assert bool(moved) == irn_moves


def test_train_rejects_impossible_options_with_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    """A corrector flag on a recipe without a corrector is a usage error (exit 2), not a traceback."""
    res = runner.invoke(main, _train_args(tmp_path, "--recipe", "fast", "--freeze-irn"))
    assert res.exit_code == 2 and "freeze_irn" in res.output and "Traceback" not in res.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_train_on_a_missing_device_fails_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    for device, message in (("cuda", "CUDA is not available"), ("tpu", "unknown device")):
        res = runner.invoke(main, _train_args(tmp_path, "--device", device))
        assert res.exit_code == EXIT_MODEL and message in res.output, res.output
        assert "Traceback" not in res.output and not (tmp_path / "run").exists()


def test_try_reporter_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from irncodec.cli import try_reporter
    from irncodec.codec import BudgetCandidate

    report = try_reporter(every=0.0)
    report(BudgetCandidate("m@1", 50, 1000))
    report(BudgetCandidate("m@1", None, 900))
    report(BudgetCandidate("m@1", 70, 1200, mse=255**2 / 1000))
    report(BudgetCandidate("m@1", 80, 1300, mse=0.0))
    quiet = try_reporter(every=3600.0)
    quiet(BudgetCandidate("m@1", 50, 1000))
    quiet(BudgetCandidate("m@1", 60, 1100))  # within the interval: not shown
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("budget search: 1 tried in") and lines[0].endswith("last m@1 q50: 1000 bytes")
    assert lines[1].endswith("last m@1: 900 bytes")  # a PNG candidate has no quality
    assert "1 fit decoded" in lines[2] and lines[2].endswith("q70: 1200 bytes, PSNR 30.00 dB")
    assert "2 fits decoded" in lines[3] and lines[3].endswith("q80: 1300 bytes, exact")
    assert len(lines) == 5 and "q60" not in lines[4]
