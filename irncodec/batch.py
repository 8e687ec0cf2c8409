"""Many files in one run: each job succeeds or fails on its own, optionally in worker processes.

A bad file never stops the others. The CLI turns the results into progress,
per-file error lines and a summary; this module only returns them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from bitstream import FormatError, Limits, read_file
from irncodec.errors import CodecError, DeviceError, InputImageError, UnknownModelError, WeightsError

__all__ = ["Job", "JobResult", "decode_file", "encode_file", "plan_outputs", "run_jobs"]


@dataclass(frozen=True)
class Job:
    """One input file and where its output goes (``None``: no output; the job failed to plan)."""

    src: Path
    dst: Path | None
    problem: str | None = None


@dataclass(frozen=True)
class JobResult:
    """What happened to one job. ``kind`` is ``ok``, ``input``, ``model``, ``io`` or ``internal``."""

    job: Job
    kind: str
    message: str = ""
    info: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def plan_outputs(
    inputs: Sequence[str | Path], suffix: str, output: str | Path | None = None, out_dir: str | Path | None = None
) -> list[Job]:
    """Pair inputs with outputs: ``output`` for a single input, else ``out_dir/STEM+suffix``, else beside the input.

    Failed jobs, before any work: an input that does not exist, an output in a folder that does not exist (``out_dir``
    is the caller's to create), and two inputs that would write the same output (the later one).
    """
    if output is not None and len(inputs) != 1:
        raise InputImageError("-o/--output takes a single input; use -d/--out-dir for several")
    jobs, taken = [], {}
    for raw in inputs:
        src = Path(raw)
        if output is not None:
            dst = Path(output)
        elif out_dir is not None:
            dst = Path(out_dir) / (src.stem + suffix)
        else:
            dst = src.with_suffix(suffix)
        key = os.path.normcase(os.path.abspath(dst))
        if not src.exists():
            jobs.append(Job(src, None, "no such file"))
        elif out_dir is None and not dst.parent.is_dir():
            what = "is not a folder" if dst.parent.exists() else "does not exist"
            jobs.append(Job(src, None, f"cannot write {dst}: {dst.parent} {what}"))
        elif key in taken:
            jobs.append(Job(src, None, f"would overwrite {dst}, the output of {taken[key]}"))
        elif os.path.abspath(src) == key:
            jobs.append(Job(src, None, "output would overwrite the input"))
        else:
            taken[key] = src
            jobs.append(Job(src, dst))
    return jobs


_CODERS: dict = {}  # per-process cache of Encoder/Decoder objects, so a worker loads each model once


def _coder(kind: str, device: str, tile: int, max_pixels: int | None, precision: str = "auto"):  # -> Encoder | Decoder
    from irncodec.codec import Decoder, Encoder

    key = (kind, device, tile, max_pixels, precision)
    if key not in _CODERS:
        if kind == "encode":
            _CODERS[key] = Encoder(device=device, tile=tile)
        else:
            limits = Limits(max_pixels=max_pixels) if max_pixels else None
            _CODERS[key] = Decoder(device=device, tile=tile, limits=limits, precision=precision)
    return _CODERS[key]


def encode_file(job: Job, options: dict) -> dict:
    """Encode ``job.src`` into ``job.dst`` atomically. ``options``: scale (``None``: every scale, budgets
    only), lr_format, quality, model, z_seed, device, tile, a budget as max_bytes or bpp, pick (try the
    registry's alternative models too), refine (steps) and progress (a ``progress(done, total)`` callback for
    them), on_try (budgets only: :meth:`Encoder.encode_to_budget`'s callback for each candidate). Returns facts
    for the report (bytes, bpp, scale, quality, model)."""
    from bitstream import unpack
    from irncodec.imageio import DEFAULT_QUALITY, open_image, write_atomic

    enc = _coder("encode", options.get("device", "cpu"), options.get("tile", 256), None)
    image = open_image(job.src)
    common = {
        "scale": options.get("scale", 2),
        "lr_format": options.get("lr_format", "png"),
        "model": options.get("model"),
        "z_seed": options.get("z_seed", 0),
        "refine": options.get("refine", 0),
        "progress": options.get("progress"),
    }
    quality = options.get("quality")
    max_bytes = options.get("max_bytes")
    if options.get("bpp") is not None:
        max_bytes = int(options["bpp"] * image.width * image.height / 8)
    if max_bytes is not None:
        data, quality = enc.encode_to_budget(image, max_bytes, on_try=options.get("on_try"), **common)
    else:
        data = enc.encode(image, quality=quality, pick=options.get("pick", False), **common)
    write_atomic(job.dst, data)
    header = unpack(data).header  # budgets choose the scale; quality bands may each have their own model
    info = {"bytes": len(data), "bpp": round(len(data) * 8 / (image.width * image.height), 4), "scale": header.scale}
    if common["lr_format"] != "png":
        info["quality"] = quality if quality is not None else DEFAULT_QUALITY
    if common["lr_format"] != "png" or options.get("pick") or max_bytes is not None:
        info["model"] = header.model
    return info


def decode_file(job: Job, options: dict) -> dict:
    """Decode ``job.src`` into ``job.dst`` atomically; ``options``: quality, device, tile, max_pixels, precision.
    An output format Pillow cannot write fails before decoding."""
    from irncodec.imageio import output_format, save_image

    dec = _coder(
        "decode",
        options.get("device", "cpu"),
        options.get("tile", 256),
        options.get("max_pixels"),
        options.get("precision", "auto"),
    )
    output_format(job.dst)
    image = dec.decode(read_file(job.src, dec.limits))
    save_image(image, job.dst, quality=options.get("quality"))
    return {"width": image.width, "height": image.height, "mode": image.mode}


def _run_one(fn: Callable[[Job, dict], dict], job: Job, options: dict) -> JobResult:
    if job.problem is not None:
        return JobResult(job, "io", job.problem)
    try:
        return JobResult(job, "ok", info=fn(job, options))
    except (FormatError, InputImageError) as exc:
        return JobResult(job, "input", str(exc))
    except (UnknownModelError, WeightsError, DeviceError) as exc:
        return JobResult(job, "model", str(exc))
    except CodecError as exc:
        return JobResult(job, "input", str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename and str(exc.filename) != str(job.src) else ""
        return JobResult(job, "io", f"{where}{exc.strerror or exc}")
    except Exception as exc:  # a bug or an exhausted resource: report it, keep the batch going
        return JobResult(job, "internal", f"internal error: {type(exc).__name__}: {exc}")


def _init_worker(threads: int) -> None:
    import signal

    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle (run_jobs)
    torch.set_num_threads(threads)


def run_jobs(
    fn: Callable[[Job, dict], dict], jobs: Sequence[Job], options: dict, workers: int = 1
) -> Iterator[JobResult]:
    """Run every job, yielding results as they finish (in order when ``workers`` is 1)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _run_one(fn, job, options)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(threads,))
    try:
        futures = [pool.submit(_run_one, fn, job, options) for job in jobs]
        for fut in as_completed(futures):
            yield fut.result()
    except BaseException:  # Ctrl-C, or the caller stopped early: no job that has not started will run
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
