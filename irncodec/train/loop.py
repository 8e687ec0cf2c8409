"""Training of the rescaling networks (and the SR baseline): resumable runs, CPU-friendly defaults.

Losses follow Xiao et al., "Invertible Image Rescaling", ECCV 2020, Sec. 3.4:
an L2 guidance term pulling the LR towards the bicubic-downscaled HR, an L1
reconstruction term for the inverse pass fed the straight-through-quantised
LR and a drawn latent, and the z^2 distribution-matching term. Each term is
summed per sample as in the paper and divided by the number of HR values, so
the weights are the paper's while the magnitudes stay near 1.

The same loop trains the EDSR-style super-resolution baseline (``arch="edsr"``)
on bicubic LR with an L1 loss, so both sides of the benchmark get the same
data, patches, schedule and budget.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from irncodec.metrics import psnr
from irncodec.models.correct import CorrectedIRN
from irncodec.models.irn import IRN
from irncodec.models.restore import CompressionAwareIRN
from irncodec.models.sr import EDSR
from irncodec.rescale import bicubic_down, downscale, exact_math, quantize, quantize_ste, sample_z, upscale
from irncodec.train.config import RECIPES, TrainConfig, recipe_config
from irncodec.train.data import PatchSampler, list_images, load_rgb
from irncodec.train.jpeg import jpeg_channel, jpeg_decode, jpeg_encode, jpeg_rate

__all__ = [
    "PSNR_LOSS_FLOOR",
    "RECIPES",
    "TrainConfig",
    "ema_update",
    "evaluate_psnr",
    "evaluate_rd",
    "irn_losses",
    "native_bf16",
    "recipe_config",
    "reconstruction_loss",
    "train",
]


# Fields that change the arithmetic or bookkeeping of a run, not what it learns: a run may resume with others.
_RESUMABLE_FIELDS = ("bf16", "checkpoint_seconds", "eval_every")


def _same_config(stored: dict, cfg: TrainConfig) -> bool:
    """True if a checkpoint's config is ``cfg``; fields added since it was written must hold their defaults.

    A run on the constant schedule may also be extended: its ``steps`` only say where it stops, so a longer one
    resumes it (the cosine schedule spans its steps, so there they must match)."""
    current = dataclasses.asdict(cfg)
    defaults = dataclasses.asdict(TrainConfig())
    free = _RESUMABLE_FIELDS + (("steps",) if cfg.schedule == "constant" else ())
    return all(stored.get(k, defaults[k]) == v for k, v in current.items() if k not in free)


def native_bf16() -> bool:
    """True if this CPU computes bf16 natively (AVX512-BF16 or AMX), so bf16 autocast speeds training up.

    Measured on the project's machines: 1.8x faster steps on a Zen 4 (AVX512-BF16); on a Zen 3 (AVX2 only) the
    same run in bf16 was more than 2.7x slower than in fp32, because the bf16 arithmetic is emulated.
    """
    return any(
        getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    )


def make_model(cfg: TrainConfig) -> IRN | EDSR:
    irn = {"scale": cfg.scale, "blocks": cfg.blocks, "growth": cfg.growth}
    if cfg.arch == "irn":
        return IRN(**irn)
    if cfg.arch == "irn-crm":
        return CompressionAwareIRN(restorer_features=cfg.crm_features, restorer_blocks=cfg.crm_blocks, **irn)
    if cfg.arch == "irn-lc":
        return CorrectedIRN(corrector_features=cfg.lc_features, corrector_blocks=cfg.lc_blocks, **irn)
    if cfg.arch == "edsr":
        return EDSR(scale=cfg.scale, features=cfg.features, blocks=cfg.blocks)
    raise ValueError(f"unknown arch {cfg.arch!r}")


def lr_at(cfg: TrainConfig, step: int) -> float:
    """The learning rate for ``step`` (0-based) under the configured schedule."""
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "paper":
        return cfg.lr * 0.5 ** (step // 100_000)
    if cfg.schedule == "cosine":
        t = min(step / max(cfg.steps, 1), 1.0)
        return cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1.0 + math.cos(math.pi * t))
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


PSNR_LOSS_FLOOR = 1e-5  # per-patch MSE floor of the "psnr" loss (50 dB): no patch's weight exceeds 1 / this


def reconstruction_loss(err: Tensor, kind: str) -> Tensor:
    """The HR reconstruction loss of a batch of errors ``err`` (N x C x H x W), per HR value.

    "l1" and "l2" average ``|err|`` and ``err**2``. "psnr" is the squared error reweighted per patch as the mean
    PSNR over patches weights it: the gradient of ``mean_i log(mse_i)`` is that of ``mse_i`` divided by ``mse_i``,
    so each patch's squared error is divided by its own (detached, floored at 50 dB) MSE and scaled by the batch's
    mean MSE. Smooth, well-reconstructed patches then count as much as textured ones. The value equals "l2"'s while
    no patch is under the floor, and the gradient's scale stays near "l2"'s (so the other terms' weights carry
    over), though it depends on the batch's spread of errors. PSNR averaged over images, the papers' number, is
    such a mean of logarithms; plain "l2" spends the model on the textured patches that dominate the summed error.
    """
    if kind == "l1":
        return err.abs().mean()
    mse = err.square().flatten(1).mean(1)
    if kind == "l2":
        return mse.mean()
    if kind == "psnr":
        ref = mse.detach()
        return (mse / ref.clamp_min(PSNR_LOSS_FLOOR)).mean() * ref.mean()
    raise ValueError(f"unknown reconstruction loss {kind!r}")


def irn_losses(model: IRN, x: Tensor, cfg: TrainConfig, z_gen: torch.Generator) -> dict[str, Tensor]:
    """The IRN loss terms (and the LR's estimated JPEG rate when ``lambda_rate`` weights it) and their weighted
    total for an HR batch ``x``."""
    out = model(x)
    c = model.channels
    y, z = out[:, :c], out[:, c:]
    n_hr = x[0].numel()
    target = bicubic_down(x, cfg.scale).to(y.dtype)
    l_forw = (y - target).float().pow(2).sum() / x.shape[0] / n_hr
    l_z = z.float().pow(2).sum() / x.shape[0] / n_hr
    # z is drawn on the CPU generator (the same draws on every device), zeros are made where they are used.
    z_in = torch.randn(z.shape, generator=z_gen) * cfg.z_temperature if cfg.z_temperature else torch.zeros_like(z)
    y_sent = quantize_ste(y)
    terms = {}
    if cfg.lr_codec != "none":
        quality = int(torch.randint(cfg.lr_quality_min, cfg.lr_quality_max + 1, (1,), generator=z_gen))
        if cfg.lambda_rate:
            terms["rate"] = jpeg_rate(y, quality, cfg.lr_chroma)
        y_sent = jpeg_channel(y_sent, quality, cfg.lr_codec, cfg.lr_chroma).to(y.dtype)
    x_hat = model(torch.cat((y_sent, z_in.to(y.device, y.dtype)), dim=1), rev=True)
    err = x_hat.float() - x
    l_back = reconstruction_loss(err, cfg.back_loss)
    total = cfg.lambda_forw * l_forw + cfg.lambda_back * l_back + cfg.lambda_z * l_z
    if "rate" in terms:
        total = total + cfg.lambda_rate * terms["rate"]
    return {"loss": total, "forw": l_forw, "back": l_back, "z": l_z, **terms}


def sr_losses(model: EDSR, x: Tensor, cfg: TrainConfig) -> dict[str, Tensor]:
    """L1 between the SR of the 8-bit bicubic LR and the HR batch ``x`` (the EDSR loss)."""
    y = quantize(bicubic_down(x, cfg.scale)).to(x.dtype)
    loss = (model(y).float() - x).abs().mean()
    return {"loss": loss, "back": loss}


def training_losses(model: IRN | EDSR, x: Tensor, cfg: TrainConfig, z_gen: torch.Generator) -> dict[str, Tensor]:
    return irn_losses(model, x, cfg, z_gen) if isinstance(model, IRN) else sr_losses(model, x, cfg)


def modcrop(x: Tensor, scale: int) -> Tensor:
    h, w = x.shape[-2:]
    return x[..., : h - h % scale, : w - w % scale]


@torch.no_grad()
def evaluate_rd(
    model: IRN | EDSR,
    images: Sequence[np.ndarray],
    temperature: float = 0.0,
    seed: int = 0,
    lr_quality: int | None = None,
    lr_format: str = "jpeg",
    lr_chroma: str = "420",
) -> tuple[float, float]:
    """Mean RGB PSNR and mean LR bits per HR pixel over uint8 H x W x 3 images of the codec's path (IRN:
    forward, 8-bit LR, optionally ``lr_format`` (JPEG with ``lr_chroma`` sampling, or WebP) at ``lr_quality``,
    inverse) or of
    super-resolution from the 8-bit bicubic LR (EDSR). The bits are the LR file's (NaN without ``lr_quality``).
    Runs on the model's device; on CUDA with deterministic convolutions and without TF32, as the codec encodes
    and decodes."""
    device = next(model.parameters()).device
    values, bits = [], []
    for im in images:
        x = modcrop(torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255.0, model.scale).to(device)
        with exact_math(device):
            if isinstance(model, IRN):
                y = downscale(model, x)
                if lr_quality is not None:
                    files = jpeg_encode(y, lr_quality, lr_format, lr_chroma)
                    bits.append(8 * len(files[0]) / (x.shape[-2] * x.shape[-1]))
                    y = jpeg_decode(files, y.device)
                z = sample_z((1, model.latent_channels, *y.shape[-2:]), seed, temperature)
                x_hat = upscale(model, y, z)
            else:
                x_hat = model(quantize(bicubic_down(x, model.scale))).clamp(0.0, 1.0)
        values.append(psnr(torch.round(x_hat * 255.0) / 255.0, x))
    return float(np.mean(values)), float(np.mean(bits)) if bits else math.nan


def evaluate_psnr(
    model: IRN | EDSR,
    images: Sequence[np.ndarray],
    temperature: float = 0.0,
    seed: int = 0,
    lr_quality: int | None = None,
    lr_format: str = "jpeg",
    lr_chroma: str = "420",
) -> float:
    """The mean RGB PSNR of :func:`evaluate_rd`."""
    return evaluate_rd(model, images, temperature, seed, lr_quality, lr_format, lr_chroma)[0]


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """Move ``ema``'s parameters towards ``model``'s: ``ema = decay * ema + (1 - decay) * model``; buffers are
    copied. The average of the weights over the last ``1 / (1 - decay)`` steps or so is a model with less of
    the optimiser's step noise than the last weights (Polyak averaging)."""
    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
        e.lerp_(p, 1.0 - decay)
    for e, b in zip(ema.buffers(), model.buffers(), strict=True):
        e.copy_(b)


def _save_atomic(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        torch.save(obj, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def train(
    cfg: TrainConfig,
    data_dir: str | Path,
    run_dir: str | Path,
    report_dir: str | Path | None = None,
    init_from: str | Path | None = None,
    max_seconds: float = math.inf,
    on_event: Callable[[dict], None] | None = None,
    device: torch.device | str = "cpu",
) -> Path:
    """Train (or resume) a run in ``run_dir``; returns the path of the last checkpoint.

    If ``run_dir/last.pt`` exists the run resumes from it exactly (model,
    optimiser, data and latent RNG states) and ``cfg`` must match the stored
    config. ``init_from`` (a weight file, used only when starting fresh)
    loads every parameter whose name and shape match, for example the first
    level of an x4 net from x2 weights. ``report_dir`` images are evaluated
    for the log only, never used for any decision. Events (steps, evals,
    checkpoints) go to ``on_event`` and to ``run_dir/log.jsonl``. The model trains on ``device`` (on CUDA with
    cuDNN's autotuner and TF32 convolutions; validation deterministic, without TF32); patches, latents and
    checkpoints stay on the CPU, so a run resumes on any device. Resuming is exact on the CPU; on CUDA the state
    resumes exactly but the autotuned arithmetic does not repeat bit for bit.
    """
    device = torch.device(device)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    last = run_dir / "last.pt"
    torch.manual_seed(cfg.seed)
    model = make_model(cfg).to(device=device, memory_format=torch.channels_last)
    if cfg.freeze_irn:
        for name, param in model.named_parameters():
            param.requires_grad_(name.startswith("corrector."))
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=cfg.lr, betas=(0.9, 0.999), weight_decay=cfg.weight_decay)

    paths = list_images(data_dir)
    if len(paths) <= cfg.holdout:
        raise ValueError(f"{data_dir} has {len(paths)} images; need more than the {cfg.holdout} held out")
    train_paths, val_paths = paths[: len(paths) - cfg.holdout], paths[len(paths) - cfg.holdout :]
    sampler = PatchSampler([load_rgb(p) for p in train_paths], cfg.patch, cfg.batch, cfg.seed, cfg.colour_aug)
    val_images = [load_rgb(p) for p in val_paths]
    report_images = [load_rgb(p) for p in list_images(report_dir)] if report_dir else []
    z_gen = torch.Generator().manual_seed(cfg.seed + 1)

    # elapsed: wall seconds spent in training steps; cpu: this process's CPU seconds in them (all threads), which
    # neither a paused process nor a neighbour on the same cores inflates.
    step, elapsed, cpu = 0, 0.0, 0.0
    ckpt: dict = {}
    if last.exists():
        ckpt = torch.load(last, weights_only=True, map_location="cpu")
        if not _same_config(ckpt["config"], cfg):
            raise ValueError(f"{last} was written with another config: {ckpt['config']}")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sampler.set_state(ckpt["sampler"])
        z_gen.set_state(ckpt["z_gen"])
        step, elapsed, cpu = ckpt["step"], ckpt["elapsed"], ckpt.get("cpu", math.nan)
    elif init_from is not None:
        src = torch.load(init_from, weights_only=True, map_location="cpu")
        own = model.state_dict()
        loaded = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        model.load_state_dict(loaded, strict=False)
        # "skipped": tensors of the file the model has no place for (or of another shape, e.g. a restorer of
        # another width), "fresh": the model's tensors left at their initialisation
        init = {"tensors": len(loaded), "skipped": len(src) - len(loaded), "fresh": len(own) - len(loaded)}
        _log(run_dir, on_event, {"event": "init", "from": str(init_from), **init})
    ema = copy.deepcopy(model).requires_grad_(False).eval() if cfg.ema_decay else None
    if ema is not None and ckpt:
        ema.load_state_dict(ckpt["ema"])
    shipped = ema if ema is not None else model  # the weights validated and written to weights.pt

    def checkpoint() -> None:
        _save_atomic(
            {
                "config": dataclasses.asdict(cfg),
                "model": _to_cpu(model.state_dict()),
                **({"ema": _to_cpu(ema.state_dict())} if ema is not None else {}),
                "optimizer": _to_cpu(opt.state_dict()),
                "sampler": sampler.state(),
                "z_gen": z_gen.get_state(),
                "step": step,
                "elapsed": elapsed,
                "cpu": cpu,
            },
            last,
        )
        _save_atomic({k: v.contiguous().cpu() for k, v in shipped.state_dict().items()}, run_dir / "weights.pt")
        _log(
            run_dir, on_event, {"event": "checkpoint", "step": step, "elapsed": round(elapsed, 1), "cpu": round(cpu, 1)}
        )

    def evaluate() -> None:
        model.eval()
        rec = {"event": "eval", "step": step, "elapsed": round(elapsed, 1), "cpu": round(cpu, 1)}
        q = cfg.eval_quality if cfg.lr_codec != "none" else None
        lossy = {"lr_quality": q, "lr_format": cfg.lr_codec, "lr_chroma": cfg.lr_chroma}
        val_psnr, val_bpp = evaluate_rd(shipped, val_images, **lossy)
        rec["val_psnr"] = round(val_psnr, 3)
        if q is not None:
            rec["val_bpp"] = round(val_bpp, 4)
        if ema is not None:
            rec["val_psnr_raw"] = round(evaluate_psnr(model, val_images, **lossy), 3)
        if report_images:
            report = evaluate_psnr(shipped, report_images, **lossy)
            rec["report_psnr"] = round(report, 3)
        model.train()
        _log(run_dir, on_event, rec)

    session_start = time.monotonic()
    last_ckpt = time.monotonic()
    model.train()
    while step < cfg.steps and time.monotonic() - session_start < max_seconds:
        t0, c0 = time.monotonic(), time.process_time()
        for group in opt.param_groups:
            group["lr"] = lr_at(cfg, step)
        x = sampler.sample().to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        with torch.backends.cudnn.flags(enabled=True, benchmark=True, allow_tf32=True):  # CUDA only
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16 and device.type == "cpu"):
                losses = training_losses(model, x, cfg, z_gen)
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
        opt.step()
        if ema is not None:
            ema_update(ema, model, cfg.ema_decay)
        step += 1
        elapsed += time.monotonic() - t0
        cpu += time.process_time() - c0
        if on_event is not None:
            on_event({"event": "step", "step": step, **{k: float(v.detach()) for k, v in losses.items()}})
        if step % 25 == 0:
            parts = {k: round(float(v.detach()), 6) for k, v in losses.items()}
            _log(
                run_dir,
                None,
                {
                    "event": "loss",
                    "step": step,
                    "elapsed": round(elapsed, 1),
                    "cpu": round(cpu, 1),
                    "lr": lr_at(cfg, step - 1),
                    **parts,
                },
            )
        if step % cfg.eval_every == 0 or step == cfg.steps:
            evaluate()
        if time.monotonic() - last_ckpt > cfg.checkpoint_seconds:
            checkpoint()
            last_ckpt = time.monotonic()
    checkpoint()
    return last


def _to_cpu(obj: object) -> object:
    """``obj`` (a state dict, nested) with every tensor on the CPU, so checkpoints load on any machine."""
    if isinstance(obj, Tensor):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _log(run_dir: Path, on_event: Callable[[dict], None] | None, record: dict) -> None:
    record = {"time": time.time(), **record}
    with open(run_dir / "log.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")
    if on_event is not None:
        on_event(record)
