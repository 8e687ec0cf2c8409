"""irncodec: a learned image-rescaling codec built on Invertible Rescaling Networks.

Xiao et al., "Invertible Image Rescaling", ECCV 2020. ``encode`` turns a
Pillow image into ``.irn`` bytes (a viewable LR image plus a small header);
``decode`` runs the network's exact inverse to get the HR image back.
Heavy imports (torch) happen on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Decoder", "Encoder", "decode", "encode"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from irncodec.codec import Decoder, Encoder, decode, encode


def __getattr__(name: str) -> Any:
    if name in __all__:
        from irncodec import codec

        return getattr(codec, name)
    raise AttributeError(f"module 'irncodec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
