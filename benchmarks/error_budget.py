"""Where a rescaling model's reconstruction error comes from: the discarded latent or the 8-bit LR.

    python -m benchmarks.error_budget irn-x2 --dataset Set5
    python -m benchmarks.error_budget irn-x2 --weights runs/x2/weights.pt   # a run's weights (its own architecture)
    python -m benchmarks.error_budget irn-x4-jpeg-444 --holdout   # the training set's held-out photos instead

The forward pass gives the LR ``y`` and the latent ``z``; the codec stores ``y`` in 8 bits and drops ``z``
(the decoder feeds the model's temperature, 0 for the shipped models). Mean RGB PSNR on the test set of four
inverse passes splits the error:

- ``8-bit y, z = 0``: what the codec delivers (lossless LR);
- ``exact y, z = 0``: the cost of dropping ``z`` alone;
- ``8-bit y, true z``: the cost of the 8-bit LR alone;
- LR PSNR against the 8-bit bicubic LR (the mean, and the worst image's), and the RMS of ``z``.

``--holdout`` scores the photos the training loop validates on (never a test set), which is where a run's LR
drift is judged before it ships.

The split assumes the forward pass is the inverse's exact inverse, so models with a learned LR correction
(architecture ``irn-lc``, whose forward pass changes the LR but not ``z``) are refused. In models with an LR
restorer (``irn-crm``) every inverse pass above starts with the restorer, as the decoder's does, so the three
PSNRs are what such a decoder makes of each input, not a split of IRN's own error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from benchmarks.holdout_rd import TRAIN, holdout_images, model_from_spec
from irncodec.metrics import psnr
from irncodec.models import CorrectedIRN
from irncodec.rescale import bicubic_down, quantize
from irncodec.train.data import list_images, load_rgb
from irncodec.train.loop import modcrop

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "test"

__all__ = ["error_budget"]


@torch.inference_mode()
def error_budget(net: torch.nn.Module, images: list[np.ndarray]) -> dict[str, float]:
    """Mean scores over uint8 H x W x 3 images, and the worst image's LR distance (see the module docstring)."""
    scores: dict[str, list[float]] = {
        "psnr 8-bit y, z=0": [],
        "psnr exact y, z=0": [],
        "psnr 8-bit y, true z": [],
        "lr psnr vs bicubic": [],
        "z rms": [],
    }
    s, c = net.scale, net.channels
    for im in images:
        x = modcrop(torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255.0, s)
        out = net(x)
        y, z = out[:, :c], out[:, c:]

        def inverse(y_in: torch.Tensor, z_in: torch.Tensor) -> torch.Tensor:
            return quantize(net(torch.cat((y_in, z_in), dim=1), rev=True))

        zero = torch.zeros_like(z)
        scores["psnr 8-bit y, z=0"].append(psnr(inverse(quantize(y), zero), x))
        scores["psnr exact y, z=0"].append(psnr(inverse(y, zero), x))
        scores["psnr 8-bit y, true z"].append(psnr(inverse(quantize(y), z), x))
        scores["lr psnr vs bicubic"].append(psnr(quantize(y), quantize(bicubic_down(x, s))))
        scores["z rms"].append(float(z.pow(2).mean().sqrt()))
    means = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
    return {**means, "lr psnr vs bicubic, worst image": round(float(np.min(scores["lr psnr vs bicubic"])), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="registered model id (its architecture, and its weights unless --weights)")
    parser.add_argument(
        "--weights", type=Path, help="a state dict of the same architecture, or a run's RUN/weights.pt (its own arch)"
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the test sets' folder")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--dataset", default="Set5", help="a test set under --data")
    which.add_argument(
        "--holdout",
        nargs="?",
        const=TRAIN,
        type=Path,
        metavar="TRAIN_DIR",
        help="the held-out photos of the training folder (default CBSD432), instead of a test set",
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = model_from_spec(args.model if args.weights is None else f"{args.model}={args.weights}")
    if isinstance(net, CorrectedIRN):
        parser.error(f"{args.model} corrects its LR in the forward pass, so the forward is not the inverse's inverse")
    if args.holdout is not None:
        images, where = holdout_images(args.holdout), f"held-out of {args.holdout.name}"
    else:
        images, where = [load_rgb(p) for p in list_images(args.data / args.dataset)], args.dataset
    scores = error_budget(net, images)
    print(json.dumps({"model": args.model, "weights": str(args.weights or ""), "data": where, **scores}))


if __name__ == "__main__":
    main()
