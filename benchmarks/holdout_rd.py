"""Rate-distortion of compression-aware models on the held-out training photos, for choosing weights.

    python -m benchmarks.holdout_rd --scale 2 irn-x2-jpeg irn-x2-jpeg=runs/x2-rate/weights.pt

Each model (a registered id, optionally ``=`` a state dict of the same architecture, or a training run's
``RUN/weights.pt``, built with the run's own architecture) encodes the photos the
training loop holds out for validation (the last ``TrainConfig.holdout`` of the training folder, never a test
set), its LR goes through the codec's JPEG (or WebP, ``--lr-format webp``) at each quality, and the inverse
rebuilds the HR. Bicubic down + the same LR codec + the registered SR baseline is measured beside them. Prints,
and writes as JSON with ``--out``, the mean bpp (LR file bits per HR pixel) and RGB PSNR per quality, and the
Bjontegaard rate and PSNR deltas of every curve against the first model's. Decisions between training runs use
this, so the test sets stay untouched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from benchmarks.bd import bd_psnr, bd_rate
from irncodec.imageio import JPEG_CHROMA
from irncodec.metrics import psnr
from irncodec.registry import find_model, load_model, sr_baseline
from irncodec.rescale import bicubic_down, quantize
from irncodec.train.config import LR_CODECS, TrainConfig
from irncodec.train.data import list_images, load_rgb
from irncodec.train.jpeg import jpeg_decode, jpeg_encode
from irncodec.train.loop import evaluate_rd, make_model, modcrop

TRAIN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "train" / "CBSD432"

__all__ = ["bicubic_sr_rd", "holdout_images", "holdout_paths", "model_from_spec"]


def holdout_paths(data: Path = TRAIN, holdout: int = TrainConfig.holdout) -> list[Path]:
    """The photos the training loop validates on: the last ``holdout`` of the folder by name."""
    return list_images(data)[-holdout:]


def holdout_images(data: Path, holdout: int = TrainConfig.holdout) -> list[np.ndarray]:
    """The held-out photos (:func:`holdout_paths`) as H x W x 3 uint8 arrays."""
    return [load_rgb(p) for p in holdout_paths(data, holdout)]


@torch.inference_mode()
def bicubic_sr_rd(
    sr: torch.nn.Module, images: list[np.ndarray], scale: int, quality: int, fmt: str = "jpeg", chroma: str = "420"
) -> tuple[float, float]:
    """Mean RGB PSNR and LR bits per HR pixel of bicubic down, ``fmt`` (JPEG with ``chroma`` sampling) at
    ``quality``, then ``sr`` up."""
    values, bits = [], []
    for im in images:
        x = modcrop(torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255.0, scale)
        files = jpeg_encode(quantize(bicubic_down(x, scale)), quality, fmt, chroma)
        bits.append(8 * len(files[0]) / (x.shape[-2] * x.shape[-1]))
        x_hat = sr(jpeg_decode(files)).clamp(0.0, 1.0)
        values.append(psnr(torch.round(x_hat * 255.0) / 255.0, x))
    return float(np.mean(values)), float(np.mean(bits))


def model_from_spec(spec: str) -> torch.nn.Module:
    """A registered model in eval mode, from ``ID`` or ``ID=WEIGHTS``: a state dict of the same architecture, or a
    training run's ``weights.pt``, whose network is built from the run's own config (``last.pt`` beside it), so a
    run that adds modules to the registered model's architecture (e.g. an LR restorer) is measured as trained."""
    model_id, _, weights = spec.partition("=")
    registered = find_model(model_id)
    run_checkpoint = Path(weights).with_name("last.pt") if weights else None
    if run_checkpoint is None or not run_checkpoint.exists():
        net = load_model(registered)
    else:
        stored = torch.load(run_checkpoint, map_location="cpu", weights_only=True)["config"]
        cfg = TrainConfig(**{k: v for k, v in stored.items() if k in TrainConfig.__dataclass_fields__})
        if cfg.scale != registered.scale:
            raise ValueError(f"{weights} is a x{cfg.scale} run; {model_id} is x{registered.scale}")
        net = make_model(cfg)
    if weights:
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="ID or ID=WEIGHTS; the first is the reference of the deltas")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--qualities", default="30,50,75,90")
    parser.add_argument("--lr-format", choices=LR_CODECS, default="jpeg", help="the lossy codec of the LR")
    parser.add_argument("--lr-chroma", choices=JPEG_CHROMA, default="420", help="JPEG chroma sampling of the LR")
    parser.add_argument("--data", type=Path, default=TRAIN, help="the training folder (its held-out photos)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    qualities = [int(q) for q in args.qualities.split(",")]
    images = holdout_images(args.data)

    curves: dict[str, dict[str, list[float]]] = {}
    lossy = {"lr_format": args.lr_format, "lr_chroma": args.lr_chroma}
    for spec in args.models:
        net = model_from_spec(spec)
        points = [evaluate_rd(net, images, lr_quality=q, **lossy) for q in qualities]
        curves[spec] = {"bpp": [b for _, b in points], "psnr": [p for p, _ in points]}
    sr_spec = sr_baseline(args.scale)
    if sr_spec is not None:
        sr = load_model(sr_spec).eval()
        points = [bicubic_sr_rd(sr, images, args.scale, q, args.lr_format, args.lr_chroma) for q in qualities]
        curves[f"bicubic-{args.lr_format}-sr"] = {"bpp": [b for _, b in points], "psnr": [p for p, _ in points]}

    ref = curves[args.models[0]]
    for name, c in curves.items():
        c["bd_rate"] = round(bd_rate(ref["bpp"], ref["psnr"], c["bpp"], c["psnr"]), 2)
        c["bd_psnr"] = round(bd_psnr(ref["bpp"], ref["psnr"], c["bpp"], c["psnr"]), 3)
        pts = "  ".join(f"q{q} {b:.3f} bpp {p:.2f} dB" for q, b, p in zip(qualities, c["bpp"], c["psnr"], strict=True))
        print(f"{name}: {pts}  BD-rate {c['bd_rate']:+.2f} %  BD-PSNR {c['bd_psnr']:+.3f} dB")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "scale": args.scale,
            "lr_format": args.lr_format,
            "lr_chroma": args.lr_chroma,
            "qualities": qualities,
            "images": len(images),
            "curves": curves,
        }
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
