"""The ``irncodec`` command line: parses arguments and calls the library."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from irncodec.imageio import JPEG_CHROMA
from irncodec.train.config import BACK_LOSSES, RECIPES, TrainConfig

if TYPE_CHECKING:
    from irncodec.codec import BudgetCandidate

__all__ = ["main", "progress", "step_reporter", "try_reporter"]


@click.group()
@click.version_option(package_name="irncodec")
def main() -> None:
    """irncodec: learned image rescaling codec (IRN, Xiao et al. ECCV 2020)."""


EXIT_BAD_INPUT = 3  # the input file is not a valid image or .irn file
EXIT_MODEL = 4  # the model is not installed or its weight file is wrong
EXIT_IO = 5  # reading or writing a file failed
EXIT_INTERNAL = 1  # a bug or an exhausted resource (out of memory): reported in one line
EXIT_BATCH = 6  # several inputs: at least one failed (each failure is reported with its file name)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"irncodec: error: {message}", err=True)
    sys.exit(code)


def step_reporter(label: str, every: float = 60.0) -> Callable[[int, int], None]:
    """A ``report(done, total)`` callback that writes a line to stderr with the count, the time and an ETA after
    the first item, then at most every ``every`` seconds, and after the last."""
    start, shown = time.monotonic(), -math.inf

    def report(done: int, total: int) -> None:
        nonlocal shown
        now = time.monotonic()
        if done < total and now - shown < every:
            return
        shown = now
        spent = now - start
        eta = f", ETA {spent / done * (total - done):.0f} s" if 0 < done < total else ""
        click.echo(f"{label}: {done}/{total} in {spent:.0f} s{eta}", err=True)

    return report


def try_reporter(every: float = 10.0) -> Callable[[BudgetCandidate], None]:
    """An ``on_try`` callback for budget searches: a line on stderr with the candidates packaged (then the fits
    decoded) so far, the time and the latest one, after the first and then at most every ``every`` seconds (a
    small image's search ends before a second line)."""
    start, shown, counts = time.monotonic(), -math.inf, {False: 0, True: 0}

    def report(c: BudgetCandidate) -> None:
        nonlocal shown
        counts[c.mse is not None] += 1
        now = time.monotonic()
        if now - shown < every:
            return
        shown = now
        last = c.model + ("" if c.quality is None else f" q{c.quality}") + f": {c.size} bytes"
        if c.mse is None:
            done = f"{counts[False]} tried"
        else:
            done = f"{counts[True]} fit{'s' * (counts[True] > 1)} decoded"
            last += f", PSNR {10 * math.log10(255**2 / c.mse):.2f} dB" if c.mse > 0 else ", exact"
        click.echo(f"budget search: {done} in {now - start:.0f} s, last {last}", err=True)

    return report


@contextmanager
def progress(length: int, label: str, every: float = 60.0) -> Iterator[Callable[[int], None]]:
    """Yields ``update(n)``, which counts ``n`` more of ``length`` items done. On a terminal it draws a progress
    bar on stderr; elsewhere (a log file, a pipe) it reports as :func:`step_reporter` does, so a run in the
    background shows how far it got."""
    if sys.stderr.isatty():
        with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
            yield bar.update
        return
    report, done = step_reporter(label, every), 0

    def update(n: int) -> None:
        nonlocal done
        done += n
        report(done, length)

    yield update


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the library's typed errors into one line on stderr and a documented exit code."""
    from bitstream import FormatError
    from irncodec.errors import DeviceError, InputImageError, UnknownModelError, WeightsError

    try:
        yield
    except (FormatError, InputImageError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except (UnknownModelError, WeightsError, DeviceError) as exc:
        _fail(str(exc), EXIT_MODEL)
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), EXIT_IO)


INPUT = click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
DEVICE = click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")


MIN_TILE = 16  # smaller tiles are mostly overlap: many times slower (--tile 8: 5x), for no memory worth having


def _check_tile(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """A command-line guard only: the library tiles at any size (its tests use small tiles on small images)."""
    if 0 < value < MIN_TILE:
        raise click.BadParameter(f"give 0 (the whole image) or at least {MIN_TILE} LR pixels, not {value}")
    return value


TILE = click.option(
    "--tile",
    type=click.IntRange(min=0),
    default=256,
    show_default=True,
    callback=_check_tile,
    help=f"Tile side in LR pixels for bounded memory (0: whole image at once; else at least {MIN_TILE}).",
)


INPUTS = click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(dir_okay=False))
OUT_DIR = click.option("-d", "--out-dir", type=click.Path(file_okay=False), help="Folder for the outputs (created).")
WORKERS = click.option(
    "-j",
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for several inputs.",
)


def _named(src: Path, message: str) -> str:
    """``src: message``, without naming the file twice when the message already starts with it."""
    return message if message.startswith(f"{src}:") else f"{src}: {message}"


@contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C ends in one line and EXIT_INTERRUPTED (outputs are written atomically: nothing half-written is left)."""
    try:
        yield
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)


def _run_batch(
    kind: str,
    inputs: tuple[str, ...],
    output: str | None,
    out_dir: str | None,
    suffix: str,
    options: dict,
    workers: int,
) -> None:
    """Run one or many jobs. One input: one-line error and its exit code. Several: per-file errors,
    a progress bar, a summary, and exit code EXIT_BATCH if any failed."""
    from irncodec.batch import decode_file, encode_file, plan_outputs, run_jobs

    fn = encode_file if kind == "encode" else decode_file
    if output is not None and (len(inputs) != 1 or out_dir is not None):
        raise click.UsageError("-o/--output takes a single input and no -d/--out-dir")
    with _interrupts():
        with _user_errors():
            jobs = plan_outputs(inputs, suffix, output=output, out_dir=out_dir)
            if out_dir is not None and any(job.dst is not None for job in jobs):  # not for a batch that failed planning
                Path(out_dir).mkdir(parents=True, exist_ok=True)
        codes = {"input": EXIT_BAD_INPUT, "model": EXIT_MODEL, "io": EXIT_IO, "internal": EXIT_INTERNAL}
        if len(jobs) == 1:
            if options.get("refine"):  # one file in this process: report the refinement's steps
                options = {**options, "progress": step_reporter("refine steps", every=30.0)}
            budget = options.get("max_bytes") is not None or options.get("bpp") is not None
            if kind == "encode" and budget:  # and the budget search
                options = {**options, "on_try": try_reporter()}
            (result,) = run_jobs(fn, jobs, options)
            if not result.ok:
                _fail(_named(result.job.src, result.message), codes[result.kind])
            click.echo(f"{result.job.dst}: " + " ".join(f"{k}={v}" for k, v in result.info.items()), err=True)
            return
        failed = []
        with progress(len(jobs), kind) as update:
            for result in run_jobs(fn, jobs, options, workers=workers):
                if not result.ok:
                    failed.append(result)
                    gap = "\n" if sys.stderr.isatty() else ""  # off the progress bar's line
                    click.echo(f"{gap}irncodec: error: {_named(result.job.src, result.message)}", err=True)
                update(1)
        click.echo(f"{kind}: {len(jobs) - len(failed)} ok, {len(failed)} failed", err=True)
        if failed:
            sys.exit(EXIT_BATCH)


@main.command()
@INPUTS
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output .irn file (single input only).")
@OUT_DIR
@click.option(
    "--scale",
    type=click.Choice(["2", "4", "auto"]),
    help="Downscaling factor (default: 2, or the scale of --model);"
    " auto (with --max-bytes or --bpp only) tries each scale and keeps the file closest"
    " to the input, for about 3.5-4.5x the encoding time (JPEG LR).",
)
@click.option(
    "--lr-format",
    type=click.Choice(["png", "jpeg", "webp"]),
    default="png",
    show_default=True,
    help="How the LR image is stored.",
)
@click.option("--quality", type=click.IntRange(0, 100), help="JPEG/WebP quality of the LR (default 90).")
@click.option(
    "--model",
    help="Model id, or id@hash for particular weights as `irncodec models` lists them (default: the registry's for"
    " the scale and format).",
)
@click.option(
    "--seed",
    "z_seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Seed of the latent z stored in the header.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    help="Byte budget per file: the highest LR quality that fits (where models serve bands of quality, the best"
    " fit of each band is decoded and the closest to the input wins).",
)
@click.option("--bpp", type=click.FloatRange(min=0, min_open=True), help="Budget in bits per HR pixel.")
@click.option(
    "--refine",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Gradient steps on the LR so the decoder's result lands closer to the input; the file is kept only if it"
    " does. Slow: each step costs about three inverse passes (x2, PNG LR, 481x321 photos: 10 steps +0.64 dB in"
    " about 45 s, 20 steps +0.75 dB, on one CPU core).",
)
@click.option(
    "--pick",
    is_flag=True,
    help="Also encode with the alternative models for the scale, format and quality (`irncodec models`: irn-x2-colour"
    " for coloured text and graphics with a PNG LR; the 4:2:0 JPEG models at quality 50-100) and keep the file"
    " that decodes closest to the input, whatever its size; 2.4x the encoding time with one alternative (x2, PNG)."
    " Budgets (--max-bytes, --bpp) always do this.",
)
@DEVICE
@TILE
@WORKERS
def encode(
    inputs: tuple[str, ...],
    output: str | None,
    out_dir: str | None,
    scale: str | None,
    lr_format: str,
    quality: int | None,
    model: str | None,
    z_seed: int,
    max_bytes: int | None,
    bpp: float | None,
    refine: int,
    pick: bool,
    device: str,
    tile: int,
    workers: int,
) -> None:
    """Encode images to .irn files (INPUT.png -> INPUT.irn unless -o or -d says otherwise)."""
    if sum(v is not None for v in (quality, max_bytes, bpp)) > 1:
        raise click.UsageError("give at most one of --quality, --max-bytes and --bpp")
    if scale == "auto" and max_bytes is None and bpp is None:
        raise click.UsageError("--scale auto needs a budget (--max-bytes or --bpp)")
    if pick and model is not None:
        raise click.UsageError("--pick chooses the model; give it or --model, not both")
    if quality is not None and lr_format == "png":
        raise click.UsageError("--quality is for lossy LRs: add --lr-format jpeg or webp")
    if model is not None:
        scale = _model_scale(model, scale)
    if output is not None and Path(output).suffix.lower() != ".irn":
        click.echo(f"irncodec: note: {output} will hold .irn data, whatever its extension says", err=True)
    options = {
        "scale": None if scale == "auto" else int(scale or 2),
        "lr_format": lr_format,
        "quality": quality,
        "model": model,
        "z_seed": z_seed,
        "max_bytes": max_bytes,
        "bpp": bpp,
        "refine": refine,
        "pick": pick,
        "device": device,
        "tile": tile,
    }
    _run_batch("encode", inputs, output, out_dir, ".irn", options, workers)


def _model_scale(model: str, scale: str | None) -> str:
    """The scale a ``--model`` encodes at: its own; a usage error if ``scale`` (given) differs or the model is not
    a codec's."""
    from irncodec.errors import UnknownModelError
    from irncodec.registry import find_model

    try:
        spec = find_model(model)
    except UnknownModelError as exc:
        _fail(str(exc), EXIT_MODEL)
    if spec.kind != "codec":
        raise click.UsageError(f"{model} is a benchmark baseline ({spec.kind}), not a codec model")
    if scale not in (None, "auto", str(spec.scale)):  # auto: a pinned model fixes its own scale
        raise click.UsageError(f"model {model} is for scale {spec.scale}, not {scale}")
    return str(spec.scale)


@main.command()
@INPUTS
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Output image, format from the extension (single input only).",
)
@OUT_DIR
@click.option(
    "--format", "fmt", default="png", show_default=True, help="Output format (extension) with -d or without -o."
)
@click.option("--quality", type=click.IntRange(0, 100), help="Quality when the output is JPEG or WebP.")
@click.option(
    "--max-pixels", type=click.IntRange(min=1), help="Refuse files of more HR pixels (default 178,956,970, as Pillow)."
)
@click.option(
    "--precision",
    type=click.Choice(["auto", "fp32", "fp16", "bf16"]),
    default="auto",
    show_default=True,
    help="Arithmetic of the inverse: auto is fp32 on CPU, fp16 on CUDA.",
)
@DEVICE
@TILE
@WORKERS
def decode(
    inputs: tuple[str, ...],
    output: str | None,
    out_dir: str | None,
    fmt: str,
    quality: int | None,
    max_pixels: int | None,
    precision: str,
    device: str,
    tile: int,
    workers: int,
) -> None:
    """Decode .irn files to images (INPUT.irn -> INPUT.png unless -o or -d says otherwise)."""
    from irncodec.errors import InputImageError
    from irncodec.imageio import output_format

    try:  # before any decoding (an output that cannot hold a file's alpha fails per file, after its decode)
        output_format(output or f"*.{fmt.lower().lstrip('.')}")  # named in the message: cannot write *.EXT
    except InputImageError as exc:
        raise click.UsageError(str(exc)) from None
    options = {"quality": quality, "device": device, "tile": tile, "max_pixels": max_pixels, "precision": precision}
    _run_batch("decode", inputs, output, out_dir, "." + fmt.lower().lstrip("."), options, workers)


@main.command()
@INPUT
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Output image; the LR bytes are copied as they are when the extension matches.",
)
def lr(input_path: str, output: str) -> None:
    """Write the LR image of a .irn file as a plain image (for clients that cannot decode .irn)."""
    from bitstream import read_file, unpack
    from irncodec.codec import Decoder
    from irncodec.imageio import save_image, write_atomic

    with _user_errors():
        data = read_file(input_path)
        f = unpack(data)
        ext = Path(output).suffix.lower().lstrip(".")
        image = Decoder(device="cpu").decode_lr(data)  # also validates the payload
        if {"jpg": "jpeg"}.get(ext, ext) == f.header.lr_format:
            write_atomic(output, f.lr)
        else:
            save_image(image, output)
    click.echo(f"{output}: {image.width}x{image.height}", err=True)


@main.command()
@INPUT
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def info(input_path: str, as_json: bool) -> None:
    """Show the header of a .irn file."""
    from bitstream import read_file, unpack

    with _user_errors():
        data = read_file(input_path)
        f = unpack(data)
    h = f.header
    fields = {
        "file_bytes": len(data),
        "width": h.width,
        "height": h.height,
        "mode": h.mode,
        "scale": h.scale,
        "lr_width": h.lr_size[0],
        "lr_height": h.lr_size[1],
        "lr_format": h.lr_format,
        "lr_quality": h.lr_quality,
        "lr_bytes": len(f.lr),
        "alpha_bytes": len(f.alpha) if f.alpha is not None else 0,
        "model": h.model,
        "model_hash": h.model_hash,
        "z_seed": h.z_seed,
        "z_temperature": h.z_temperature,
        "icc_profile_bytes": len(h.icc_profile or b""),
        "exif_bytes": len(h.exif or b""),
        "bpp": round(len(data) * 8 / (h.width * h.height), 4),
    }
    if as_json:
        click.echo(json.dumps(fields, indent=2))
    else:
        for key, value in fields.items():
            click.echo(f"{key:>18}: {value}")


@main.command()
def models() -> None:
    """List the installed models."""
    from irncodec.registry import MODELS

    for m in MODELS:
        mark = "*" if m.default else " "
        lossy = [f for f in m.lr_formats if f != "png"]
        band = f" q{m.lr_qualities[0]}-{m.lr_qualities[1]}" if lossy and m.lr_qualities != (0, 100) else ""
        band += f" (JPEG {':'.join(m.lr_chroma)})" if "jpeg" in lossy else ""
        serves = f"serves {','.join(m.lr_formats)}{band}" if m.lr_formats else "by name only"
        serves = f"alternative (budgets, --pick) for {','.join(m.lr_formats)}{band}" if m.alternative else serves
        if m.pick_qualities and not m.alternative:
            serves += f"; alternative (budgets, --pick) q{m.pick_qualities[0]}-{m.pick_qualities[1]}"
        serves = serves if m.default else "decodes older files"
        head = f"{mark} {m.id}@{m.hash_prefix}  scale {m.scale}  T={m.temperature}"
        click.echo(f"{head}  {serves}  {m.arch} {m.kwargs}  {m.notes}")


@main.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False),
    required=True,
    help="Folder of training photos (never a test set).",
)
@click.option(
    "--run",
    "run_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Run folder: checkpoints and log.jsonl; an existing run resumes.",
)
@click.option("--recipe", type=click.Choice(list(RECIPES)), default="fast", show_default=True)
@click.option("--scale", type=click.Choice(["2", "4"]), default="2", show_default=True)
@click.option(
    "--steps", type=int, help="Total steps (the cosine schedule spans them; a constant-schedule run resumes with more)."
)
@click.option("--growth", type=int, help="DenseBlock width (32 in the paper).")
@click.option("--features", type=int, help="Feature width of the SR baseline.")
@click.option("--blocks", type=int, help="Coupling blocks per x2 level (8 in the paper).")
@click.option("--crm-features", type=int, help="Width of the LR restorer (recipes jpeg-crm, jpeg-mse-crm; 32).")
@click.option("--crm-blocks", type=int, help="Residual blocks of the LR restorer (recipes jpeg-crm, jpeg-mse-crm; 4).")
@click.option("--lc-features", type=int, help="Width of the LR corrector (recipes corrector, joint, jpeg-lc; 48).")
@click.option(
    "--lc-blocks", type=int, help="Residual blocks of the LR corrector (recipes corrector, joint, jpeg-lc; 4)."
)
@click.option(
    "--freeze-irn/--train-irn",
    default=None,
    help="Recipes corrector and joint: train only the LR corrector (corrector's default; the decoder stays the IRN"
    " it started from) or the IRN and the corrector together (joint's default; a new decoder).",
)
@click.option("--patch", type=int, help="HR patch size.")
@click.option("--batch", type=int, help="Patches per step.")
@click.option("--lr", type=float, help="Peak learning rate.")
@click.option("--schedule", type=click.Choice(["cosine", "constant", "paper"]))
@click.option("--z-temperature", type=float, help="Temperature of z fed to the inverse in training.")
@click.option(
    "--lambda-forw",
    type=float,
    help="Weight of the LR guidance loss (default scale**2, as the paper; 0 for recipe corrector, scale**2 / 40 for"
    " joint, jpeg-mse and jpeg-mse-crm).",
)
@click.option("--lambda-back", type=float, help="Weight of the HR reconstruction loss (1 in the paper).")
@click.option(
    "--back-loss",
    type=click.Choice(BACK_LOSSES),
    help="HR reconstruction loss: l1 (the paper's, the default), l2 (the squared error PSNR measures; the default of"
    " recipes corrector, joint, jpeg-mse and jpeg-mse-crm) or psnr (the squared error with every patch weighted"
    " as the mean PSNR over patches weights it).",
)
@click.option(
    "--lambda-z", type=float, help="Weight of the z^2 loss that pushes the discarded latent to zero (1 in the paper)."
)
@click.option(
    "--lr-quality-min",
    type=click.IntRange(1, 100),
    help="Lowest LR quality drawn per step (the jpeg* recipes and webp; 50).",
)
@click.option(
    "--lr-quality-max",
    type=click.IntRange(1, 100),
    help="Highest LR quality drawn per step (the jpeg* recipes and webp; 95).",
)
@click.option(
    "--lr-chroma",
    type=click.Choice(JPEG_CHROMA),
    help="JPEG chroma sampling of the LR in the loop (the jpeg* recipes; 420, libjpeg's default, "
    "or 444: full-size Cb and Cr).",
)
@click.option(
    "--lambda-rate",
    type=float,
    help="Weight of the LR's estimated JPEG bits per LR pixel (the jpeg* recipes; 0, the default, "
    "leaves the rate out).",
)
@click.option(
    "--bf16/--no-bf16",
    default=None,
    help="bfloat16 autocast on CPU (default: on where the CPU has native bf16, as AVX512-BF16 or AMX).",
)
@click.option(
    "--ema-decay",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    help="Keep a moving average of the weights with this per-step decay (e.g. 0.999); it is what is validated and"
    " written to weights.pt. 0, the default, disables it.",
)
@click.option(
    "--colour-aug",
    type=click.FloatRange(0.0, 1.0),
    help="Fraction of patches whose channels are permuted and chroma amplified (1-3x), so the net also learns"
    " saturated colour detail (coloured text, graphics) that natural photos lack. 0, the default, disables it.",
)
@click.option("--seed", type=int)
@click.option(
    "--eval-every",
    type=click.IntRange(1),
    help=f"Steps between validations on the held-out photos ({TrainConfig().eval_every}).",
)
@click.option(
    "--init-from",
    type=click.Path(exists=True, dir_okay=False),
    help="Weights to start from (matching tensors only), e.g. x2 weights for an x4 run.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Images evaluated for the log only (e.g. Set5), never used for decisions.",
)
@click.option("--threads", type=int, default=1, show_default=True, help="CPU threads for this run.")
@click.option("--max-minutes", type=float, help="Stop (with a checkpoint) after this many minutes.")
@DEVICE
def train(
    data_dir: str,
    run_dir: str,
    recipe: str,
    scale: str,
    threads: int,
    init_from: str | None,
    report_dir: str | None,
    max_minutes: float | None,
    device: str,
    **overrides: object,
) -> None:
    """Train or resume an IRN run (resumes from RUN/last.pt, on any device; exactly on the CPU)."""
    import torch

    from irncodec.codec import resolve_device
    from irncodec.train.loop import native_bf16, recipe_config
    from irncodec.train.loop import train as run_training

    with _user_errors():
        dev = resolve_device(device)
    torch.set_num_threads(threads)
    if overrides["bf16"] is None and recipe_config(recipe, int(scale)).bf16:
        overrides["bf16"] = dev.type == "cpu" and native_bf16()  # CPU autocast: off on a GPU and on emulated bf16
    try:
        cfg = recipe_config(recipe, int(scale), **overrides)
    except ValueError as exc:  # a combination of options that no run can have, e.g. --freeze-irn without a corrector
        raise click.UsageError(str(exc)) from None
    click.echo(f"config: {dataclasses.asdict(cfg)}", err=True)

    started = time.monotonic()
    first_step: list[int] = []

    def report(event: dict) -> None:
        if event["event"] == "step":
            first_step[:] = first_step or [event["step"]]
            if event["step"] % 25 == 0:
                rate = (event["step"] - first_step[0] + 1) / max(time.monotonic() - started, 1e-9)
                eta = (cfg.steps - event["step"]) / rate / 60
                parts = " ".join(f"{k} {v:.5f}" for k, v in event.items() if k not in ("event", "step"))
                click.echo(
                    f"step {event['step']}/{cfg.steps} {parts} ({rate:.2f} steps/s, ETA {eta:.0f} min)", err=True
                )
        elif event["event"] != "loss":
            click.echo(" ".join(f"{k}={v}" for k, v in event.items() if k != "time"), err=True)

    last = run_training(
        cfg,
        data_dir,
        run_dir,
        report_dir=report_dir,
        init_from=init_from,
        max_seconds=max_minutes * 60 if max_minutes else float("inf"),
        on_event=report,
        device=dev,
    )
    click.echo(f"checkpoint: {last}; weights: {Path(run_dir) / 'weights.pt'}")


if __name__ == "__main__":
    sys.exit(main())
