"""Invertible building blocks and the networks made from them."""

from irncodec.models.correct import CorrectedIRN, LRCorrector
from irncodec.models.coupling import AffineCoupling
from irncodec.models.haar import HaarDownsampling
from irncodec.models.invertible import InvertibleSequential
from irncodec.models.irn import IRN
from irncodec.models.restore import CompressionAwareIRN, LRRestorer
from irncodec.models.subnets import DenseBlock

__all__ = [
    "IRN",
    "AffineCoupling",
    "CompressionAwareIRN",
    "CorrectedIRN",
    "DenseBlock",
    "HaarDownsampling",
    "InvertibleSequential",
    "LRCorrector",
    "LRRestorer",
]
