"""The one table of models: id, architecture, constructor arguments, weight file, sha256.

The CLI, the codec, the benchmarks and the ``.irn`` header all read this
table. A file names its model by id and by the first 16 hex digits of the
weight file's sha256, so when better weights are shipped under the same id
the old entry stays and files made with it still decode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from irncodec.errors import UnknownModelError, WeightsError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "MODELS",
    "WEIGHTS_DIR",
    "ModelSpec",
    "alternatives",
    "build_model",
    "codec_scales",
    "default_model",
    "find_model",
    "installed_models",
    "load_model",
    "quality_bands",
    "sha256_file",
    "sr_baseline",
    "weights_name",
]

WEIGHTS_DIR = Path(__file__).parent / "weights"
HASH_PREFIX = 16


@dataclass(frozen=True)
class ModelSpec:
    """One registered model: everything needed to build it and check its weights."""

    id: str
    arch: str
    kwargs: dict
    weights: str
    sha256: str
    temperature: float = 0.0  # z temperature it decodes at (what it was trained for)
    lr_formats: tuple[str, ...] = ("png", "jpeg", "webp")  # payloads it serves by default
    lr_qualities: tuple[int, int] = (0, 100)  # lossy LR qualities it serves by default (inclusive)
    lr_chroma: str = "420"  # JPEG chroma sampling its LRs are written with (imageio.JPEG_CHROMA)
    # Never the default for a quality, but encoding that picks among models (byte budgets, and ``pick`` in
    # irncodec.codec.Encoder.encode) also tries it over lr_qualities and keeps whichever file decodes closest.
    alternative: bool = False
    # A model that is the default for its lr_qualities may also be an alternative over another band of qualities
    # (inclusive): encoding that picks among models tries it there beside that band's default.
    pick_qualities: tuple[int, int] | None = None
    default: bool = True  # newest entry for its id and scale: the one new files use
    kind: str = "codec"  # "codec" (an invertible rescaler) or "sr-baseline" (benchmarks only)
    notes: str = field(default="", compare=False)

    @property
    def scale(self) -> int:
        return int(self.kwargs["scale"])

    @property
    def hash_prefix(self) -> str:
        return self.sha256[:HASH_PREFIX]

    @property
    def ref(self) -> str:
        """``id@hash-prefix``: the name :func:`find_model` resolves to exactly this version (a bare id gives the
        default one)."""
        return f"{self.id}@{self.hash_prefix}"

    @property
    def alternative_band(self) -> tuple[int, int] | None:
        """The lossy LR qualities (inclusive) over which encoding that picks among models tries this model as an
        alternative: an alternative's ``lr_qualities``, a default's ``pick_qualities``, or None."""
        return self.lr_qualities if self.alternative else self.pick_qualities

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.weights


def weights_name(model_id: str, sha256: str) -> str:
    """The file name under ``WEIGHTS_DIR`` of a model's weights: its id and the first 8 hex digits of their
    sha256 (what ``irncodec.train.export`` writes)."""
    return f"{model_id}-{sha256[:8]}.pt"


def _irn(
    model_id: str,
    scale: int,
    sha256: str,
    blocks: int = 8,
    arch: str = "irn",
    restorer: tuple[int, int] | None = None,
    **fields: Any,
) -> ModelSpec:
    """A registry entry for an IRN of DenseBlock growth 16 (the shipped width) with ``blocks`` coupling blocks per
    x2 level (``arch`` "irn-lc": with the default LR corrector; ``restorer`` (width, blocks): arch "irn-crm", with
    an LR restorer of that size in front of the inverse), whose weights are stored under :func:`weights_name`."""
    kwargs: dict[str, Any] = {"scale": scale, "blocks": blocks, "growth": 16}
    if restorer is not None:
        if arch != "irn":
            raise ValueError(f"an LR restorer makes arch irn-crm, not {arch}")
        arch = "irn-crm"
        kwargs.update(restorer_features=restorer[0], restorer_blocks=restorer[1])
    return ModelSpec(model_id, arch, kwargs, weights_name(model_id, sha256), sha256, **fields)


MODELS: tuple[ModelSpec, ...] = (
    # The codec's models. Trained on CBSD432 with `irncodec train --recipe fast` (README, docs/training-logs).
    # Held-out 36.194 dB (2026-11-24, thirteenth session; @931960b3: 35.792): @931960b3 trained on, IRN and corrector
    # together (recipe joint), on a GPU lent for one session: three cosine runs of 16 patches 144x144.
    _irn(
        "irn-x2",
        2,
        "e58d76c0b270597445facfbe3fc0e39d4ae205d9c40b91d7695b5fa8272692de",
        arch="irn-lc",
        lr_formats=("png",),
        notes="growth 16, 0.51M params + a 0.18M-param LR corrector; z = 0; irn-x2@931960b3 (11.39 h CPU) + "
        "1235 + 2593 + 1948 steps of 16x144x144 (squared error, LR guidance 0.1, cosine from 5e-5, 5e-5, 3e-5) on "
        "a shared H100, 0.32 h",
    ),
    # 2026-11-25 (fifteenth session): irn-x2@e58d76c0 trained on with colour augmentation (--colour-aug 0.25).
    # Coloured graphics (benchmarks/colour.py) 23.06 -> 25.57 dB RGB; held-out photos 36.194 -> 36.135. Never the
    # default: an alternative that `encode --pick` and PNG budgets try, keeping whichever file decodes closer.
    _irn(
        "irn-x2-colour",
        2,
        "06d988e0d408bd153046f5dfe4f6c7059a77bc52b49b323733b3b038971091e2",
        arch="irn-lc",
        lr_formats=("png",),
        alternative=True,
        notes="growth 16, 0.51M params + a 0.18M-param LR corrector; z = 0; irn-x2@e58d76c0 + 850 steps of 8x96x96 "
        "with a quarter of the patches channel-permuted and chroma-amplified 1-3x (recipe joint, cosine from "
        "3e-5), 1.68 h; for coloured text and graphics",
    ),
    # Held-out 35.792 dB (2026-11-24, twelfth session; @899a5599: 35.574): @899a5599 with the IRN and its corrector
    # trained together (recipe corrector --train-irn): a new decoder, IRN's exact inverse of new weights.
    _irn(
        "irn-x2",
        2,
        "931960b36a9c8dce4cb7ab480fb5e792c022c7e2d1259d39f9be495547659d90",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params + a 0.18M-param LR corrector; z = 0; irn-x2@899a5599 (10.62 h) + 400 steps "
        "of 8x96x96 training both together (squared error, LR guidance 0.1, cosine from 5e-5), 0.77 h",
    ),
    # Held-out 35.574 dB (2026-11-24, eleventh session; @f33248a5: 34.965): @f33248a5 with a learned LR correction
    # (arch irn-lc, recipe corrector); it decodes with @f33248a5's inverse, unchanged. Its files still decode.
    _irn(
        "irn-x2",
        2,
        "899a5599d2b84b16604956774e647b1b509eac8cb1c34a1183b374e2a0e28457",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params + a 0.18M-param LR corrector; z = 0; irn-x2@f33248a5 (10.15 h) and its "
        "corrector, 400 steps of 8x96x96 against the frozen IRN (squared error, cosine from 1e-4), 0.47 h",
    ),
    # The tenth irn-x2 (2026-11-24, held-out 34.965 dB; the IRN inside the one above); its files still decode.
    _irn(
        "irn-x2",
        2,
        "f33248a50d19a8cc59c9ea323ffb5ceb72e7d669166e225e1d9ee2e2037f6142",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@2f215f57 + 2037 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998, restarted), 10.15 h in all",
    ),
    # The ninth irn-x2 (2026-11-24, held-out 34.922 dB): the same run at step 1115; its files still decode.
    _irn(
        "irn-x2",
        2,
        "8840ea6efb6a3bcf22e9602da56e0a19ffb4d2295495fc6ddb76d01a79dbe868",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@2f215f57 + 1115 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998, restarted), 8.83 h in all",
    ),
    # The eighth irn-x2 (2026-11-24, held-out 34.899 dB): the same run at step 5000; its files still decode.
    _irn(
        "irn-x2",
        2,
        "2f215f57d22f4d776d7ac27c9742fb920368c11d341ab97e70138f6ddada81f7",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@e2e6c571 + 5000 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998), 7.26 h in all",
    ),
    # The seventh irn-x2 (2026-11-24, held-out 34.829 dB): the same run at step 4000; its files still decode.
    _irn(
        "irn-x2",
        2,
        "42562e20a6499d174a7b8ba40f447ab1d3694740dcd8320422ca2349810e35e4",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@e2e6c571 + 4000 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998), 6.56 h in all",
    ),
    # The sixth irn-x2 (2026-11-23, held-out 34.754 dB): the same run at step 3050; its files still decode.
    _irn(
        "irn-x2",
        2,
        "1fb995768ca70264d29454b2a0e50d30679f0cfbc3b8e40f382c266d19d78e4a",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@e2e6c571 + 3050 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998), 5.91 h in all",
    ),
    # The fifth irn-x2 (2026-11-23, held-out 34.621 dB): the same run at step 1396; its files still decode.
    _irn(
        "irn-x2",
        2,
        "7f3d3abacebddd5f2f135e89b97d9e5baa590d45e462567b95af233edfaedfe9",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@e2e6c571 + 1396 steps of 8x96x96 at a constant 1e-4 (fp32), "
        "the weights' moving average (decay 0.998), 4.70 h in all",
    ),
    # The fourth irn-x2 (2026-11-23, held-out 34.586 dB); its files still decode.
    _irn(
        "irn-x2",
        2,
        "e2e6c571ee1b21c03b893ac69510a54ce47c241db0872d55dc5bc1bde3f079ea",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@b6a3ec0f + 800 steps of 8x96x96 (fp32, cosine from 1e-4), "
        "3.58 h in all",
    ),
    # The third irn-x2 (2026-11-23, held-out 34.556 dB); its files still decode.
    _irn(
        "irn-x2",
        2,
        "b6a3ec0f6006600b4ebb7bd3de80d7b9698403fb630e4de687b62585a1c5cee1",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@94503b1f + 800 steps of 16x64x64 (fp32, cosine from 1e-4), "
        "2.84 h in all",
    ),
    # The second irn-x2 (2026-11-23, held-out 34.528 dB); its files still decode.
    _irn(
        "irn-x2",
        2,
        "94503b1f856d237eb1d9c947e2b2cc1edfbfbe189d38ad7de10a70e4c2986aca",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; irn-x2@ca4669d8 + 1100 steps of 16x64x64 (fp32, cosine from 1e-4), "
        "2.17 h in all",
    ),
    # The first irn-x2 (2026-11-22); its files still decode.
    _irn(
        "irn-x2",
        2,
        "ca4669d83524d41d5fb9faa84d37d9a9027789c9b862828b77e8e483b7e80545",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 0.51M params; z = 0; 3000 steps of 16x64x64, 1.35 h",
    ),
    # Half the depth for a decode about twice as fast (issue 7); never chosen by default: `--model irn-x2-small`.
    _irn(
        "irn-x2-small",
        2,
        "8ca10282b83fbf082b9bdc4850554a9d68b43ed41099cbb18cffab75b8bc2276",
        blocks=4,
        lr_formats=(),
        notes="4 blocks, growth 16, 0.25M params; z = 0; first 4 blocks of irn-x2 + 2000 steps of 16x64x64 "
        "(fp32, cosine from 2e-4), 0.75 h",
    ),
    # Compression-aware (issue 5): the lossless irn-x2 fine-tuned with real JPEG (q 50-95) between the passes,
    # then 600 more steps (held-out BD-rate -2.2 % over q30-95 against the first weights).
    # Since 2026-11-25 (twentieth session): @c1564522 + 500 steps with the squared error through 4:2:0 JPEG q10-70
    # (recipe jpeg-mse, LR guidance 0.35): held-out BD-rate -3.98 % (BD-PSNR +0.10 dB) over q10-69, above the old
    # curve at every rate; its LR moved further from the bicubic LR (held-out 34.02 -> 29.82 dB, worst photo 32.09 ->
    # 27.58), still closer than the 4:4:4 model's (25.89).
    _irn(
        "irn-x2-jpeg",
        2,
        "25ec80ff5748ebf06927735ec3ec3c7da292773eadd3c35b45ae8a6272494450",
        lr_formats=("jpeg",),
        lr_qualities=(0, 49),
        pick_qualities=(50, 69),  # below the hq alternative's band: smooth images prefer 4:2:0 at equal rate there
        notes="irn-x2-jpeg@c1564522 + 500 steps of 16x64x64 through 4:2:0 JPEG q10-70, squared error, LR guidance "
        "0.35, no z loss (recipe jpeg-mse, bf16, cosine from 5e-5), 0.12 h (1.36 h of JPEG training in all)",
    ),
    # The second irn-x2-jpeg (2026-11-23); its files still decode.
    _irn(
        "irn-x2-jpeg",
        2,
        "c156452253552f759963f306c2f23e01817a7f46b60e2877fe3dd2945c4c3e32",
        lr_formats=("jpeg",),
        lr_qualities=(0, 49),
        pick_qualities=(50, 69),
        default=False,
        notes="irn-x2 + 1500 steps of 16x64x64 through JPEG q50-95 (lr 1e-4 cosine), 0.7 h, then 600 more "
        "(fp32, cosine from 1e-4), 0.54 h",
    ),
    # The first irn-x2-jpeg (2026-11-22); its files still decode.
    _irn(
        "irn-x2-jpeg",
        2,
        "a79133a1062a4e4c0ebd16c35b48747e1ee096dd327c249db18e8ebd5b783f94",
        lr_formats=("jpeg", "webp"),
        default=False,
        notes="irn-x2 + 1500 steps of 16x64x64 through JPEG q50-95 (lr 1e-4 cosine), 0.7 h",
    ),
    # Trained through 4:4:4 JPEG (issue 5; docs/recipes.md, "JPEG chroma sampling"): 4:2:0 caps every model near
    # 27.8 dB at x2. On the held-out photos @4f7a87a5 beats the 4:2:0 pair at equal rate from quality 70 (+0.12 dB at
    # 0.61 bpp, +0.35 at 0.69, +1.5 at 1.0, +2.7 at 1.3) and loses below 65 (-0.12 dB at 0.35-0.42 bpp).
    # Since 2026-11-25: @4f7a87a5 fine-tuned with the squared error (recipe jpeg-mse, LR guidance 0.35): held-out
    # BD-rate -6.95 % (BD-PSNR +0.30 dB) over q60-95, q75 28.12 dB at 0.750 bpp (was 27.49 at 0.693); its LR moved
    # further from the bicubic LR (held-out 29.28 -> 27.16 dB: more chroma grain when zoomed in, alike at 1:1).
    # Its band starts at quality 50 since 2026-11-25 (was 70): below 70 it ties irn-x2-jpeg at equal rate from 0.36
    # to 0.44 bpp (q40-50, -0.02 to +0.02 dB) and wins above (+0.14 dB at 0.52 bpp, +0.17 at 0.545; held-out photos,
    # docs/holdout-rd-2026-11-25-low-qualities.json).
    # Since 2026-11-25 (nineteenth session): @103b8886 + 500 steps with LR guidance 0.25: held-out BD-rate -2.52 %
    # (BD-PSNR +0.105 dB) over q50-95, better at every quality; its LR moved further from the bicubic LR (held-out
    # 27.16 -> 25.88 dB, worst photo 23.67 -> 22.44: grainier chroma on textures when zoomed in).
    # Since 2026-11-25 (twentieth session): @2e11a7f3 + 500 steps at the same guidance (cosine from 3e-5): held-out
    # BD-rate -0.49 % (BD-PSNR +0.020 dB) over q50-95, +0.02 dB at q50-90 and level at q95 for the same bytes; LR as
    # far from the bicubic LR as before (25.89 dB, worst 22.45). Guidance 0.18 was tried and not shipped.
    _irn(
        "irn-x2-jpeg-444",
        2,
        "d3bb6e87eb34734c100ba3b2163fd62dac218daece437792733fd110d1f70795",
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        notes="irn-x2-jpeg-444@2e11a7f3 + 500 steps of 16x64x64 through 4:4:4 JPEG q50-95, squared error, LR "
        "guidance 0.25, no z loss (recipe jpeg-mse, bf16, cosine from 3e-5), 0.13 h (8.07 h in all)",
    ),
    # The third irn-x2-jpeg-444 (2026-11-25); its files still decode.
    _irn(
        "irn-x2-jpeg-444",
        2,
        "2e11a7f38b07913a9898f143ac10844ca93478206c6bb1d459a97303e03a98cf",
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x2-jpeg-444@103b8886 + 500 steps of 16x64x64 through 4:4:4 JPEG q50-95, squared error, LR "
        "guidance 0.25, no z loss (recipe jpeg-mse, bf16, cosine from 5e-5), 0.12 h (7.94 h in all)",
    ),
    # The second irn-x2-jpeg-444 (2026-11-25); its files still decode.
    _irn(
        "irn-x2-jpeg-444",
        2,
        "103b888652be15935ab23a365ada50dee16f779e7637497891ab3e39bd39c66d",
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x2-jpeg-444@4f7a87a5 + 500 steps of 16x64x64 through 4:4:4 JPEG q50-95, squared error, LR "
        "guidance 0.35, no z loss (recipe jpeg-mse, fp32, cosine from 5e-5), 0.77 h (7.82 h in all)",
    ),
    # The first irn-x2-jpeg-444 (2026-11-24); its files still decode.
    _irn(
        "irn-x2-jpeg-444",
        2,
        "4f7a87a5a376ddfd9c1b2511fe09b09aca4c8749fd8a1bd695fa2d2dce3a86d8",
        lr_formats=("jpeg",),
        lr_qualities=(70, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x2@1fb99576 + 1598 steps of 16x64x64 through 4:4:4 JPEG q50-95 at a constant 1e-4 (fp32), the "
        "weights' moving average (decay 0.998), 1.14 h (7.05 h in all)",
    ),
    # The former high-quality band (issue 5; irn-x2-jpeg-444 took q70-100 on 2026-11-24, q50-100 on 2026-11-25):
    # the first irn-x2-jpeg + 600 steps through JPEG q80-97 only; held-out +0.02 / +0.10 / +0.15 dB over irn-x2-jpeg
    # at q85 / 90 / 95. Now an alternative (budgets, --pick): on smooth images 4:2:0 beats the 4:4:4 model at equal
    # rate.
    _irn(
        "irn-x2-jpeg-hq",
        2,
        "9860258fa87d39bc3c2a4943f696a4736c5009eb62b3bcba0819176df1f956a5",
        lr_formats=("jpeg",),
        lr_qualities=(70, 100),
        alternative=True,  # for smooth images, where 4:2:0 beats irn-x2-jpeg-444 at equal rate
        notes="irn-x2-jpeg + 600 steps of 16x64x64 through JPEG q80-97 (fp32, cosine from 1e-4), 0.5 h",
    ),
    # Compression-aware through WebP (issue 5): irn-x2-jpeg fine-tuned with the codec's real WebP between the
    # passes (held-out BD-rate through WebP -7.2 % against irn-x2-jpeg at q30-90, -9.0 % against irn-x2-jpeg-hq
    # at q85-95).
    _irn(
        "irn-x2-webp",
        2,
        "713a6226c284481ccc00115586fa03720122964c69bbb4e9f6632459f46b8215",
        lr_formats=("webp",),
        notes="irn-x2-jpeg@c1564522 + 500 steps of 16x64x64 through the codec's WebP q40-95 (fp32, cosine from "
        "1e-4), 0.42 h",
    ),
    # Held-out 27.187 dB (2026-11-25, twentieth session; @f40a64b6: 27.151): @f40a64b6 trained on the same way, a
    # new cosine run from 3e-5 (27.133 / 27.159 / 27.163 / 27.179 / 27.186 / 27.187 at steps 400-2400).
    _irn(
        "irn-x4",
        4,
        "c60480d4e1f12ae6932f1311aab93c2070b11d99a7ae3be3341cb5aa2a28d2e3",
        arch="irn-lc",
        lr_formats=("png",),
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@f40a64b6 + 2400 steps of "
        "8x144x144 (recipe joint: squared error, LR guidance 0.4, cosine from 3e-5, bf16 autocast), 2.08 h CPU",
    ),
    # Held-out 27.151 dB (2026-11-25, nineteenth session; @592af6b4: 27.114): @592af6b4 trained on the same way, a
    # new cosine run from 3e-5 (27.095 / 27.125 / 27.130 / 27.147 / 27.151 at steps 400-2000).
    _irn(
        "irn-x4",
        4,
        "f40a64b6b9bb19fc4fca2f848786923f8ff00ed3bb16a8a521873b63282e79aa",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@592af6b4 + 2000 steps of "
        "8x144x144 (recipe joint: squared error, LR guidance 0.4, cosine from 3e-5, bf16 autocast), 1.75 h CPU",
    ),
    # Held-out 27.114 dB (2026-11-25, eighteenth session; @9ca54ec7: 27.050): @9ca54ec7 trained on the same way, a
    # new cosine run from 4e-5 (27.045 / 27.043 / 27.070 / 27.101 / 27.117 / 27.114 at steps 400-2400).
    _irn(
        "irn-x4",
        4,
        "592af6b465e5030f9526decf22e22fba4315e0d5a971038d5686d51e2b21706a",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@9ca54ec7 + 2400 steps of "
        "8x144x144 (recipe joint: squared error, LR guidance 0.4, cosine from 4e-5, bf16 autocast), 1.99 h CPU",
    ),
    # Held-out 27.050 dB (2026-11-25, seventeenth session; @2c4c9413: 27.015): @2c4c9413 trained on with the joint
    # recipe on one CPU thread (bf16 autocast), one cosine run of 8 patches 144x144.
    _irn(
        "irn-x4",
        4,
        "9ca54ec71b80e85eed2e290b8e431672b4ac7f684f65d08735d2968d0261f3eb",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@2c4c9413 + 1600 steps of "
        "8x144x144 (recipe joint: squared error, LR guidance 0.4, cosine from 3e-5, bf16 autocast), 1.24 h CPU",
    ),
    # Held-out 27.015 dB (2026-11-24, thirteenth session; @de3464ae: 26.716): @de3464ae trained on, IRN and corrector
    # together (recipe joint), on a GPU lent for one session: three cosine runs of 16 patches 144x144.
    _irn(
        "irn-x4",
        4,
        "2c4c94138fd0d9f2b489aeb97590d2fa5ff7a7863381fd7aa670b25f63809744",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@de3464ae (6.68 h CPU) + "
        "802 (of a 1076-step cosine, cut by its time limit) + 1389 + 1074 steps of 16x144x144 (squared error, LR "
        "guidance 0.4, cosine from 5e-5, 5e-5, 3e-5) on a shared H100, 0.32 h",
    ),
    # Held-out 26.716 dB (2026-11-24, twelfth session; @ce0d87cb: 26.632): @ce0d87cb with the IRN and its corrector
    # trained together (recipe corrector --train-irn): a new decoder.
    _irn(
        "irn-x4",
        4,
        "de3464aeb6f00590ac69e27d0d2792294ccd17114b56d384a7f1431da81ab4f0",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@ce0d87cb (5.80 h) + 300 steps "
        "of 4x128x128 training both together (squared error, LR guidance 0.4, cosine from 5e-5), 0.88 h",
    ),
    # Held-out 26.632 dB (2026-11-24, eleventh session; @7247cee3: 26.470): @7247cee3 with a learned LR correction
    # (arch irn-lc, recipe corrector); it decodes with @7247cee3's inverse, unchanged. Its files still decode.
    _irn(
        "irn-x4",
        4,
        "ce0d87cbebeec7d27da4fb0a5dee75f27a2792628dd13092fcb6eedb49af3237",
        arch="irn-lc",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params + a 0.21M-param LR corrector; z = 0; irn-x4@7247cee3 (5.39 h) and its "
        "corrector, 250 steps of 4x128x128 against the frozen IRN (squared error, cosine from 1e-4), 0.41 h",
    ),
    # The fifth irn-x4 (2026-11-24, held-out 26.470 dB; the IRN inside the one above); its files still decode.
    _irn(
        "irn-x4",
        4,
        "7247cee3a97770a525fb610ffab3087012503090dd8ae4cebfc12b55f7a8fae5",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params; z = 0; irn-x4@ab37fc18 + 600 steps of 4x128x128 (fp32, cosine from 1e-4), "
        "5.39 h in all",
    ),
    # The fourth irn-x4 (2026-11-23, held-out 26.445 dB); its files still decode.
    _irn(
        "irn-x4",
        4,
        "ab37fc1820e8cbfa0ef3837dde1f490a311a84f0cbcfcc3019b7772b47f032aa",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params; z = 0; irn-x4@d05444ae + 600 steps of 4x128x128 (fp32, cosine from 1e-4), "
        "4.07 h in all",
    ),
    # The third irn-x4 (2026-11-23, held-out 26.409 dB); its files still decode.
    _irn(
        "irn-x4",
        4,
        "d05444ae76eced77f2b741b8a4393b3f0f4c16543618754c09cbb5011517da80",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params; z = 0; irn-x4@9e627190 + 600 steps of 8x96x96 (fp32, cosine from 1e-4), "
        "3.22 h in all",
    ),
    # The second irn-x4 (2026-11-23, held-out 26.372 dB); its files still decode.
    _irn(
        "irn-x4",
        4,
        "9e627190a98e65f0541debe5abcb15f66e1655c7e0dcfe86daa006eca780a6c6",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params; z = 0; irn-x4@95ea70d4 + 800 steps of 8x96x96 (fp32, cosine from 1e-4), "
        "2.53 h in all",
    ),
    # The first irn-x4 (2026-11-22); its files still decode.
    _irn(
        "irn-x4",
        4,
        "95ea70d44e1f9899100b1f4cb57b971695d7499416f890b59d2de87bc138dcef",
        lr_formats=("png",),
        default=False,
        notes="growth 16, 1.53M params; z = 0; level 1 from x2; 2400 steps of 8x96x96, 1.55 h",
    ),
    # Since 2026-11-25: @6399ce73 fine-tuned with the squared error (recipe jpeg-mse, LR guidance 1.4) through 4:2:0
    # JPEG q30-75: held-out BD-rate -5.9 % (BD-PSNR +0.11 dB) over q30-69 against @6399ce73; its LR moved further
    # from the bicubic LR (held-out 35.75 -> 30.54 dB, still closer than irn-x4-jpeg-444@4bac13bc's 26.55).
    _irn(
        "irn-x4-jpeg",
        4,
        "c222f457f0b145bd711d38e1fd38dc65c272c3a8bd21ec3a49229c91e9654892",
        lr_formats=("jpeg",),
        lr_qualities=(0, 49),
        pick_qualities=(50, 69),  # as irn-x2-jpeg's
        notes="irn-x4-jpeg@6399ce73 + 520 steps of 8x96x96 through JPEG q30-75, squared error, LR guidance 1.4, no z "
        "loss (recipe jpeg-mse, bf16 autocast, cosine from 5e-5), 0.19 h (3.55 h in all)",
    ),
    # Held-out BD-rate -1.5 % against irn-x4-jpeg@37069192 through JPEG q30-75 (2026-11-23, sixth session); its files
    # still decode.
    _irn(
        "irn-x4-jpeg",
        4,
        "6399ce733eecc0407d517fce3945fc358f1c8e11bd521076dd3f553c415a38a5",
        lr_formats=("jpeg",),
        lr_qualities=(0, 69),
        default=False,
        notes="irn-x4-jpeg@37069192 + 1000 steps of 8x96x96 through JPEG q50-95 at a constant 1e-4 (fp32), the "
        "weights' moving average (decay 0.998), 1.06 h (3.36 h in all)",
    ),
    # The first irn-x4-jpeg; its files still decode.
    _irn(
        "irn-x4-jpeg",
        4,
        "370691924b081471d695b629889bb1128bcdbc32c456e1a0753c8e4c413d3527",
        lr_formats=("jpeg",),
        lr_qualities=(0, 79),
        default=False,
        notes="irn-x4 + 1200 steps of 8x96x96 through JPEG q50-95 (lr 1e-4 cosine), 0.75 h",
    ),
    # Trained through 4:4:4 JPEG like irn-x2-jpeg-444 (issue 5; docs/recipes.md, "x4 through 4:4:4"). On the
    # held-out photos @4461faee ties the 4:2:0 irn-x4-jpeg@6399ce73 at equal rate at q50-65 (-0.03 to +0.02 dB) and
    # wins from q70 against the better 4:2:0 curve: +0.08 dB at 0.175 bpp, +0.29 at 0.23, +0.85 at 0.35; so it served
    # q70-100 (q50-100 since 2026-11-25, below).
    # Since 2026-11-25: @4461faee fine-tuned with the squared error (recipe jpeg-mse, LR guidance 1.4 = 4^2 x 0.35 / 4,
    # the x2 model's setting): held-out BD-rate -16.8 % (BD-PSNR +0.39 dB) over q60-95, q75 24.16 dB at 0.229 bpp
    # (was 23.53 at 0.196); its LR moved further from the bicubic LR (held-out 31.62 -> 26.55 dB: more chroma grain
    # when zoomed in). Guidance 3 kept the LR closer (30.29 dB) for less (-10.2 %).
    # Its band starts at quality 50 since 2026-11-25 (was 70): at equal rate it ties irn-x4-jpeg@c222f457 near its
    # own q50 (0.136 bpp), wins above (+0.04 dB at 0.149 bpp, +0.10 at 0.159) and loses below (-0.08 at 0.103; held-out
    # photos, docs/holdout-rd-2026-11-25-low-qualities.json).
    # Since 2026-11-25 (eighteenth session): @4bac13bc with an LR restorer in front of the inverse (64 wide, 4 EDSR
    # blocks, 0.30M params, at LR resolution; the IRN journal extension's compression restoration module), trained
    # with it (recipe jpeg-mse-crm): held-out BD-rate -3.1 % (BD-PSNR +0.06 dB) over q50-95, mostly at the top (q90
    # +0.08 dB, q95 +0.11 for 1 % fewer bytes; q50-75 within 0.01 dB); LR vs bicubic 26.55 -> 26.76 dB.
    # Since 2026-11-25 (twentieth session): @d5216a81 + 520 steps with LR guidance 0.9 (was 1.4): held-out BD-rate
    # -3.07 % (BD-PSNR +0.069 dB) over q50-95, above @d5216a81's curve at every rate (+0.03 dB near 0.14 bpp, +0.13
    # near 0.45); its LR moved further from the bicubic LR (held-out 26.76 -> 25.00 dB, worst photo 23.74 -> 22.01).
    _irn(
        "irn-x4-jpeg-444",
        4,
        "3bba9bfbe06c02739ecb980f716445b8f7de9ecc0c593c2cea1ed3b966666bdb",
        restorer=(64, 4),
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        notes="irn-x4-jpeg-444@d5216a81 + 520 steps of 8x96x96 through 4:4:4 JPEG q50-95, squared error, LR guidance "
        "0.9 (recipe jpeg-mse-crm, bf16, cosine from 5e-5), 0.27 h (6.95 h in all)",
    ),
    # The third irn-x4-jpeg-444 (2026-11-25); its files still decode.
    _irn(
        "irn-x4-jpeg-444",
        4,
        "d5216a81adae41ca092c9a77eee2bcccbcd932e9e5313bab1f0cad5765e46b36",
        restorer=(64, 4),
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x4-jpeg-444@4bac13bc + an LR restorer (64 x 4 blocks), 1000 steps of 8x96x96 through 4:4:4 JPEG "
        "q50-95, squared error, LR guidance 1.4 (recipe jpeg-mse-crm, bf16, cosine from 5e-5), 0.42 h (6.68 h in all)",
    ),
    _irn(
        "irn-x4-jpeg-444",
        4,
        "4bac13bce31ccd1f384216616178de20a41de5de4187ebc67a17b6c01c17bc3e",
        lr_formats=("jpeg",),
        lr_qualities=(50, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x4-jpeg-444@4461faee + 520 steps of 8x96x96 through 4:4:4 JPEG q50-95, squared error, LR "
        "guidance 1.4, no z loss (recipe jpeg-mse, fp32, cosine from 5e-5), 0.23 h (6.26 h in all)",
    ),
    # The first irn-x4-jpeg-444 (2026-11-24); its files still decode.
    _irn(
        "irn-x4-jpeg-444",
        4,
        "4461faee66fa724668176956f4949dea1b772751fd774d6a2c020697d322d91f",
        lr_formats=("jpeg",),
        lr_qualities=(70, 100),
        lr_chroma="444",
        default=False,
        notes="irn-x4@ab37fc18 + 1916 steps of 8x96x96 through 4:4:4 JPEG q50-95 at a constant 1e-4 (fp32), the "
        "weights' moving average (decay 0.998), 1.96 h (6.03 h in all)",
    ),
    # The former high-quality band (+0.01 to +0.12 dB over irn-x4-jpeg at q80-95 on the held-out photos); since
    # 2026-11-24 an alternative for q70-100, as irn-x2-jpeg-hq is at x2.
    _irn(
        "irn-x4-jpeg-hq",
        4,
        "56094ecdd4babc3090b6f6421599354818733625661bdcd0e69f47e58e13028c",
        lr_formats=("jpeg",),
        lr_qualities=(70, 100),
        alternative=True,  # for smooth images, where 4:2:0 may beat irn-x4-jpeg-444 at equal rate
        notes="irn-x4-jpeg@37069192 + 600 steps of 8x96x96 through JPEG q80-97 (fp32, cosine from 1e-4), 0.83 h",
    ),
    # The same for x4 (held-out BD-rate through WebP -8.8 % against irn-x4-jpeg, -0.7 % against irn-x4-jpeg-hq,
    # q30-95).
    _irn(
        "irn-x4-webp",
        4,
        "fd7b359e24b46aab2a747e6c7b8c50ed4c5e2c04140fa11eabe6368e970d52e1",
        lr_formats=("webp",),
        notes="irn-x4-jpeg@37069192 + 600 steps of 8x96x96 through the codec's WebP q40-95 (fp32, cosine from "
        "1e-4), 0.76 h",
    ),
    # Benchmark baselines (never used by the codec): EDSR-style SR from a bicubic LR, same training data.
    ModelSpec(
        id="sr-edsr-x2",
        arch="edsr",
        kwargs={"scale": 2, "features": 64, "blocks": 6},
        weights="sr-edsr-x2-7a49ac3f.pt",
        sha256="7a49ac3f8163c7a188a3df4db8cfc24614cb478f7182c4ec9f8b6836968b9fcd",
        kind="sr-baseline",
        lr_formats=(),
        notes="0.63M params; 6000 steps of 16x64x64, 0.29 h",
    ),
    ModelSpec(
        id="sr-edsr-x4",
        arch="edsr",
        kwargs={"scale": 4, "features": 64, "blocks": 12},
        weights="sr-edsr-x4-966a01e0.pt",
        sha256="966a01e0a8e483416653d3111483415d198619b8d7a3296a2dbe9b4262c7bb19",
        kind="sr-baseline",
        lr_formats=(),
        notes="1.22M params; 4800 steps of 8x96x96, 0.25 h",
    ),
)


def installed_models() -> list[str]:
    """``id@hash`` of every registered model, for error messages and ``irncodec models``."""
    return [m.ref for m in MODELS]


def find_model(model_id: str, weight_hash: str | None = None) -> ModelSpec:
    """The spec for ``model_id``; with ``weight_hash``, the entry whose sha256 starts with it. ``model_id`` may
    also name the weights itself as ``id@hash`` (hex prefix of the sha256), as :func:`installed_models` lists
    them."""
    if weight_hash is None and "@" in model_id:
        model_id, weight_hash = model_id.split("@", 1)
        if not weight_hash:
            raise UnknownModelError(f"model {model_id}@ names no weights; installed: {', '.join(installed_models())}")
    for m in MODELS:
        wanted = m.default if weight_hash is None else m.sha256.startswith(weight_hash)
        if m.id == model_id and wanted:
            return m
    what = model_id if weight_hash is None else f"{model_id}@{weight_hash}"
    versions = [m.ref for m in MODELS if m.id == model_id]
    ids = ", ".join(dict.fromkeys(m.id for m in MODELS)) or "none"  # each id once, in registry order
    known = f"versions of {model_id}: {', '.join(versions)}" if versions else f"installed: {ids}"
    raise UnknownModelError(f"model {what} is not installed; {known} (`irncodec models` lists every version)")


def default_model(scale: int, lr_format: str = "png", quality: int | None = None) -> ModelSpec:
    """The default model for a scale, LR payload format and (lossy formats) LR quality.

    A compression-aware model may serve a band of qualities only (its ``lr_qualities``); ``quality=None``
    matches any band, so the first model for the format is returned.
    """

    def serves(m: ModelSpec) -> bool:
        in_band = quality is None or lr_format == "png" or m.lr_qualities[0] <= quality <= m.lr_qualities[1]
        chosen_by_quality = m.kind == "codec" and m.default and not m.alternative
        return chosen_by_quality and m.scale == scale and lr_format in m.lr_formats and in_band

    for m in MODELS:
        if serves(m):
            return m
    band = "" if quality is None or lr_format == "png" else f" at quality {quality}"
    raise UnknownModelError(
        f"no installed model for scale {scale} and {lr_format} LR{band}; "
        f"installed: {', '.join(installed_models()) or 'none'}"
    )


def quality_bands(scale: int, lr_format: str) -> list[tuple[ModelSpec, int, int]]:
    """(model, lowest, highest quality): the runs of lossy LR qualities 0-100 that :func:`default_model` serves
    with one model, highest first. Raises :class:`UnknownModelError` where a quality has no model."""
    bands: list[tuple[ModelSpec, int, int]] = []
    for q in range(100, -1, -1):
        spec = default_model(scale, lr_format, q)
        if bands and bands[-1][0] == spec:
            bands[-1] = (spec, q, bands[-1][2])
        else:
            bands.append((spec, q, q))
    return bands


def codec_scales(lr_format: str = "png") -> list[int]:
    """The scales that have a default codec model for ``lr_format``, smallest first."""
    chosen = (m for m in MODELS if m.kind == "codec" and m.default and not m.alternative)
    return sorted({m.scale for m in chosen if lr_format in m.lr_formats})


def alternatives(scale: int, lr_format: str, quality: int | None = None) -> list[ModelSpec]:
    """The models that encoding which picks among models (byte budgets, ``Encoder.encode(pick=True)``) tries
    beside the defaults for a scale and LR format (:attr:`ModelSpec.alternative_band`); with a lossy ``quality``,
    those whose alternative band holds it."""

    def in_band(band: tuple[int, int] | None) -> bool:
        if band is None:
            return False
        return quality is None or lr_format == "png" or band[0] <= quality <= band[1]

    return [
        m
        for m in MODELS
        if m.kind == "codec"
        and m.default
        and m.scale == scale
        and lr_format in m.lr_formats
        and in_band(m.alternative_band)
    ]


def sr_baseline(scale: int) -> ModelSpec | None:
    """The default SR baseline for ``scale`` (benchmarks only), or None if none is installed."""
    return next((m for m in MODELS if m.kind == "sr-baseline" and m.default and m.scale == scale), None)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_model(arch: str, kwargs: dict) -> nn.Module:
    """An untrained network of a registered architecture."""
    from irncodec.models import IRN, CompressionAwareIRN, CorrectedIRN
    from irncodec.models.sr import EDSR

    architectures = {"irn": IRN, "irn-crm": CompressionAwareIRN, "irn-lc": CorrectedIRN, "edsr": EDSR}
    if arch not in architectures:
        raise UnknownModelError(f"unknown architecture {arch!r}; known: {', '.join(architectures)}")
    return architectures[arch](**kwargs)


def load_model(spec: ModelSpec, device: str = "cpu") -> nn.Module:
    """Build the network, check the weight file's sha256, load it without pickle, and put it in eval mode."""
    import torch

    if not spec.path.is_file():
        raise WeightsError(f"weight file for {spec.id} is missing: {spec.path}")
    digest = sha256_file(spec.path)
    if digest != spec.sha256:
        raise WeightsError(
            f"weight file {spec.path} has sha256 {digest[:16]}..., the registry expects "
            f"{spec.sha256[:16]}...; refusing to use it"
        )
    try:
        state = torch.load(spec.path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read weight file {spec.path}: {exc}") from None
    model = build_model(spec.arch, spec.kwargs)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise WeightsError(f"weight file {spec.path} does not fit {spec.arch} {spec.kwargs}: {exc}") from None
    return model.to(device).eval()
