"""Export trained weights into the package: ``python -m irncodec.train.export RUN/weights.pt irn-x2``.

Writes ``irncodec/weights/<id>-<sha256[:8]>.pt`` (a plain state dict of
contiguous fp32 tensors, loadable with ``weights_only=True``) and prints the
registry entry to paste into ``irncodec/registry.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch

from irncodec.registry import WEIGHTS_DIR, sha256_file, weights_name

__all__ = ["export_weights"]


def export_weights(src: str | Path, model_id: str, dest_dir: Path = WEIGHTS_DIR) -> tuple[Path, str]:
    """Copy a state dict into ``dest_dir`` under a hash-stamped name; returns (path, sha256)."""
    state = torch.load(src, map_location="cpu", weights_only=True)
    state = {k: v.detach().float().contiguous().clone() for k, v in state.items()}
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest_dir, suffix=".tmp")
    os.close(fd)
    torch.save(state, tmp)
    digest = sha256_file(tmp)
    dest = dest_dir / weights_name(model_id, digest)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)
    return dest, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("weights", help="state dict written by a training run (RUN/weights.pt)")
    parser.add_argument("model_id", help="registry id, e.g. irn-x2")
    args = parser.parse_args()
    dest, digest = export_weights(args.weights, args.model_id)
    print(f"{dest}\nweights={dest.name!r}, sha256={digest!r}")


if __name__ == "__main__":
    main()
