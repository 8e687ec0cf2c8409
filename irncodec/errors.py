"""Typed errors of the codec library (the container's own errors live in ``bitstream.errors``)."""

from __future__ import annotations

from bitstream.errors import FormatError

__all__ = [
    "BudgetError",
    "CodecError",
    "DeviceError",
    "InputImageError",
    "PayloadError",
    "UnknownModelError",
    "WeightsError",
]


class CodecError(Exception):
    """Base class of the codec's errors."""


class InputImageError(CodecError, ValueError):
    """The image given to the encoder cannot be read or is not supported."""


class PayloadError(CodecError, FormatError):
    """The LR or alpha image inside an ``.irn`` file is not what its header says."""


class UnknownModelError(CodecError, LookupError):
    """No installed model matches the requested id (and weight hash)."""


class WeightsError(CodecError):
    """A weight file is missing, unreadable, or its sha256 does not match the registry."""


class BudgetError(InputImageError):
    """No quality setting makes the file fit the requested byte budget."""


class DeviceError(CodecError):
    """The requested compute device does not exist on this machine."""
