"""Opt-in fuzz run of the decoder: ``python -m tests.fuzz --count 10000``.

Feeds the full decode path (container, payload checks, network) with random
bytes, truncations, bit flips, and forged files whose checksum was recomputed
(so the header and payload checks are reached), using a tiny random model.
Every input must end in a typed error (``FormatError`` or ``CodecError``) or a
decoded image, within a time limit. Prints counts per outcome and exits 1 on
any crash or hang.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import msgpack
import numpy as np
import torch
from PIL import Image

from bitstream import FormatError
from bitstream.container import CHECKSUM_BYTES, PREAMBLE
from irncodec import registry
from irncodec.codec import Decoder, Encoder
from irncodec.errors import CodecError
from tests.conftest import tiny_specs
from tests.test_bitstream import _forge

VALUES = [
    None,
    True,
    0,
    -1,
    1,
    2,
    3,
    4,
    8,
    2**31,
    2**63 - 1,
    2**64 - 1,
    -(2**63),
    1.5,
    float("nan"),
    float("inf"),
    "",
    "RGB",
    "RGBA",
    "L",
    "png",
    "jpeg",
    "webp",
    "irn-x2",
    "tiny-x2",
    b"",
    b"\x00" * 8,
    [],
    [["lr", 0]],
    [["lr", 10**9]],
    {"a": 1},
]


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def _register_tiny(folder: Path) -> None:
    registry.MODELS = tuple(tiny_specs(folder).values())


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    enc = Encoder(device="cpu")
    out = []
    for size, mode, scale, fmt in [((37, 29), "RGB", 2, "jpeg"), ((5, 3), "RGBA", 4, "png"), ((16, 9), "L", 2, "webp")]:
        im = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).convert(mode)
        out.append(enc.encode(im, scale=scale, lr_format=fmt, quality=60))
    return out


def _split(data: bytes) -> tuple[dict, bytes]:
    _, _, _, head_len, _ = PREAMBLE.unpack_from(data)
    meta = msgpack.unpackb(data[PREAMBLE.size : PREAMBLE.size + head_len], raw=False)
    return meta, data[PREAMBLE.size + head_len : -CHECKSUM_BYTES]


def mutate(rng: random.Random, seeds: list[bytes]) -> tuple[str, bytes]:
    base = rng.choice(seeds)
    kind = rng.choice(["random", "truncate", "flip", "field", "payload", "splice"])
    if kind == "random":
        return kind, rng.randbytes(rng.randrange(0, 400))
    if kind == "truncate":
        return kind, base[: rng.randrange(len(base))]
    if kind == "flip":
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return kind, bytes(data)
    meta, body = _split(base)
    if kind == "field":
        for _ in range(rng.randint(1, 3)):
            meta[rng.choice([*meta, "extra"])] = rng.choice(VALUES)
        return kind, _forge(meta, body)
    if kind == "payload":
        data = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return kind, _forge(meta, bytes(data))
    _, other_body = _split(rng.choice(seeds))
    return kind, _forge(meta, other_body[: len(body)].ljust(len(body), b"\x00"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=10, help="seconds allowed per input")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        _register_tiny(Path(tmp))
        seeds = _seeds()
        dec = Decoder(device="cpu")
        rng = random.Random(args.seed)
        outcomes: Counter = Counter()
        crashes = []
        signal.signal(signal.SIGALRM, _alarm)
        t0 = time.perf_counter()
        for i in range(args.count):
            kind, data = mutate(rng, seeds)
            signal.alarm(args.timeout)
            try:
                dec.decode(data)
                outcomes[(kind, "decoded")] += 1
            except (FormatError, CodecError) as exc:
                outcomes[(kind, type(exc).__name__)] += 1
            except Hang:
                crashes.append((i, kind, "hang"))
            except Exception as exc:
                crashes.append((i, kind, f"{type(exc).__name__}: {exc}"))
            finally:
                signal.alarm(0)
        elapsed = time.perf_counter() - t0
    for (kind, outcome), n in sorted(outcomes.items()):
        print(f"{kind:9s} {outcome:26s} {n}")
    print(f"{args.count} inputs in {elapsed:.2f} s, {len(crashes)} crashes or hangs")
    for c in crashes[:20]:
        print("CRASH", c)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
