"""Encode/decode speed and peak memory of irncodec, with decode efficiency against the device's matmul peak.

    python -m benchmarks.speed --out results/speed            # CPU (and CUDA when present)
    python -m benchmarks.speed --sizes 0.4 --scale 2 --repeat 3
    python -m benchmarks.speed --sizes 24 --scale 2 --repeat 1   # the 24 MP memory bound
    python -m benchmarks.speed --runtimes --out results/speed   # eager vs torch.compile vs ONNX Runtime

Each configuration runs in a fresh subprocess so its peak RSS is its own.
Decode FLOPs are counted with ``torch.utils.flop_counter`` on a small input
and scaled by pixel count (the network is fully convolutional). The matmul
peak is a timed 4096x4096 matmul in the decode precision (fp32 on CPU, fp16
on CUDA) on the same device and thread count, so efficiency = achieved
decode FLOP/s / matmul FLOP/s is comparable across machines.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SIZES = {"0.4": (768, 512), "2": (1920, 1080), "8": (3840, 2160), "24": (6000, 4000)}


def _image(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((width, height), Image.BICUBIC)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, n: int = 4096, repeat: int = 5, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of an n x n matmul in ``dtype`` on ``device`` (best of ``repeat``)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    _sync(device)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def decode_flops_per_hr_pixel(scale: int, model: str | None = None) -> float:
    """FLOPs of the inverse pass per HR pixel for ``model`` (default: the default model of ``scale``)."""
    from torch.utils.flop_counter import FlopCounterMode

    from irncodec.registry import default_model, find_model, load_model

    net = load_model(find_model(model) if model else default_model(scale))
    h = w = 32
    yz = torch.rand(1, 3 * scale * scale, h, w)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        net(yz, rev=True)
    return counter.get_total_flops() / (h * w * scale * scale)


def _time(fn, arg, repeat: int) -> float:
    fn(arg)  # warm-up (and, for compiled backends, the compile)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t0)
    return best


def backend_comparison(scale: int, threads: int, repeat: int) -> list[dict]:
    """Time the inverse pass alone (untiled) on a 0.4 MP (768x512) HR test image on the CPU, per runtime:
    eager contiguous, eager channels-last (the decoder's layout), the whole net in bf16 (``--precision
    bf16``), ``torch.compile`` and ONNX Runtime (when installed). The input is the model's own 8-bit LR
    with z = 0. Reports the best of ``repeat`` and the largest difference from eager fp32 (in [0, 1]
    units); a runtime that fails is reported with its error instead of a time."""
    from irncodec.registry import default_model, load_model
    from irncodec.rescale import downscale

    torch.set_num_threads(threads)
    torch._dynamo.reset()  # compiled kernels bake in the thread count
    spec = default_model(scale)
    net = load_model(spec)
    w, h = SIZES["0.4"]
    x = torch.from_numpy(np.array(_image(w, h))).permute(2, 0, 1)[None].float() / 255.0
    with torch.inference_mode():
        y = downscale(net, x)
        yz = torch.cat((y, torch.zeros(1, 3 * scale * scale - 3, *y.shape[-2:])), dim=1)
        ref = net(yz, rev=True)
    cl_net = copy.deepcopy(net).to(memory_format=torch.channels_last)
    bf_net = copy.deepcopy(net).to(dtype=torch.bfloat16, memory_format=torch.channels_last)
    yz_cl = yz.contiguous(memory_format=torch.channels_last)

    def onnx_runtime() -> tuple:
        import tempfile

        import onnxruntime as ort

        class _Inverse(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, t: torch.Tensor) -> torch.Tensor:
                return self.inner(t, rev=True)

        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/inverse.onnx"
            torch.onnx.export(_Inverse(net), (yz,), path, input_names=["yz"], dynamo=False, opset_version=17)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        return (lambda a: torch.from_numpy(sess.run(None, {"yz": a.numpy()})[0])), yz

    runtimes = {
        "eager contiguous": lambda: ((lambda t: net(t, rev=True)), yz),
        "eager channels-last (default)": lambda: ((lambda t: cl_net(t, rev=True)), yz_cl),
        "bf16 weights and activations, channels-last": lambda: (
            (lambda t: bf_net(t.to(torch.bfloat16), rev=True).float()),
            yz_cl,
        ),
        "torch.compile, channels-last": lambda: (torch.compile(lambda t: cl_net(t, rev=True)), yz_cl),
        "onnxruntime (CPU provider)": onnx_runtime,
    }
    rows = []
    for name, make in runtimes.items():
        try:
            fn, arg = make()
            with torch.inference_mode():
                t = _time(fn, arg, repeat)
                diff = float((fn(arg) - ref).abs().max())
            rows.append({"runtime": name, "seconds": t, "max_abs_diff": diff})
        except Exception as exc:  # a missing package or a failing compiler is a result here, not a crash
            rows.append({"runtime": name, "seconds": None, "max_abs_diff": None, "note": repr(exc)[:80]})
    return rows


def run_one(size: str, scale: int, device: str, repeat: int, tile: int, model: str | None = None) -> dict:
    """Time encode and decode of one configuration in this process (``model``: a registered id, else the
    default model of ``scale``)."""
    from irncodec.codec import Decoder, Encoder

    dev = torch.device(device)
    width, height = SIZES[size]
    im = _image(width, height)
    enc, dec = Encoder(device=device, tile=tile), Decoder(device=device, tile=tile)
    data = enc.encode(im, scale=scale, model=model)  # warm-up, loads the model
    dec.decode(data)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    enc_t, dec_t = [], []
    for _ in range(repeat):
        _sync(dev)
        t0 = time.perf_counter()
        data = enc.encode(im, scale=scale, model=model)
        _sync(dev)
        t1 = time.perf_counter()
        dec.decode(data)
        _sync(dev)
        enc_t.append(t1 - t0)
        dec_t.append(time.perf_counter() - t1)
    pixels = width * height
    decode_time = statistics.median(dec_t)
    flops = decode_flops_per_hr_pixel(scale, model) * pixels
    return {
        "model": dec.parse(data).header.model,
        "size_mp": round(pixels / 1e6, 2),
        "width": width,
        "height": height,
        "scale": scale,
        "device": device,
        "threads": torch.get_num_threads(),
        "precision": dec.precision,
        "tile": tile,
        "encoding_time": statistics.median(enc_t),
        "decoding_time": decode_time,
        "decode_mp_per_s": pixels / 1e6 / decode_time,
        "decode_gflop": flops / 1e9,
        "decode_gflop_per_s": flops / decode_time / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cuda_max_allocated_mb": torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.4,2,8", help=f"megapixel sizes from {sorted(SIZES)}")
    parser.add_argument("--scale", type=int, action="append")
    parser.add_argument("--device", action="append", help="cpu and/or cuda (default: cpu, plus cuda if present)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--model", help="a registered model id of that scale (default: the scale's default model)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: size,scale,device in this process
    parser.add_argument(
        "--runtimes", action="store_true", help="compare CPU runtimes of the inverse (eager, compile, ONNX Runtime)"
    )
    args = parser.parse_args()
    if args.runtimes:
        lines = [
            "| scale | threads | runtime | inverse s (0.4 MP) | max abs diff vs eager fp32 |",
            "|---|---|---|---|---|",
        ]
        for scale in args.scale or [2, 4]:
            for threads in [args.threads] if args.threads else (1, 2):
                for r in backend_comparison(scale, threads, args.repeat):
                    sec = "-" if r["seconds"] is None else f"{r['seconds']:.3f}"
                    diff = r.get("note", "") if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.1e}"
                    lines.append(f"| x{scale} | {threads} | {r['runtime']} | {sec} | {diff} |")
                    print(lines[-1], file=sys.stderr, flush=True)
        table = "\n".join(lines)
        print(table)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "runtimes.md").write_text(table + "\n")
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.one:
        size, scale, device = args.one.split(",")
        print(json.dumps(run_one(size, int(scale), device, args.repeat, args.tile, args.model)))
        return
    from irncodec.codec import PRECISIONS, Decoder
    from irncodec.registry import find_model

    scales = args.scale or ([find_model(args.model).scale] if args.model else [2, 4])
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    rows = []
    # The peak in the precision each device decodes in (fp32 on CPU, fp16 on CUDA), so efficiency is like for like.

    peaks = {d: matmul_peak(torch.device(d), dtype=PRECISIONS[Decoder(device=d, tile=0).precision]) for d in devices}
    for device in devices:
        for scale in scales:
            for size in args.sizes.split(","):
                cmd = [
                    sys.executable,
                    "-m",
                    "benchmarks.speed",
                    "--one",
                    f"{size},{scale},{device}",
                    "--repeat",
                    str(args.repeat),
                    "--tile",
                    str(args.tile),
                ]
                if args.threads:
                    cmd += ["--threads", str(args.threads)]
                if args.model:
                    cmd += ["--model", args.model]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
                row["matmul_gflop_per_s"] = peaks[device] / 1e9
                row["efficiency"] = row["decode_gflop_per_s"] * 1e9 / peaks[device]
                rows.append(row)
                print(
                    f"{device} x{scale} {row['size_mp']} MP: encode {row['encoding_time']:.3f} s, decode "
                    f"{row['decoding_time']:.3f} s ({row['decode_mp_per_s']:.2f} MP/s, "
                    f"{100 * row['efficiency']:.0f}% of matmul), peak RSS {row['peak_rss_mb']:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    lines = [
        "| device | model | scale | MP | encode s | decode s | decode MP/s | decode GFLOP/s | matmul GFLOP/s | "
        "efficiency | peak RSS MB | CUDA max alloc MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cuda_mb = "" if r["cuda_max_allocated_mb"] is None else f"{r['cuda_max_allocated_mb']:.0f}"
        lines.append(
            f"| {r['device']} ({r['threads']} thr, {r['precision']}) | {r['model']} | x{r['scale']} | {r['size_mp']} | "
            f"{r['encoding_time']:.3f} | {r['decoding_time']:.3f} | {r['decode_mp_per_s']:.2f} | "
            f"{r['decode_gflop_per_s']:.1f} | {r['matmul_gflop_per_s']:.1f} | {100 * r['efficiency']:.0f}% | "
            f"{r['peak_rss_mb']:.0f} | {cuda_mb} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "speed.json").write_text(json.dumps(rows, indent=1))
        (args.out / "speed.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
