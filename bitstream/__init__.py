"""The ``.irn`` container: header, payload sections, checksum. No torch import (see FORMAT.md)."""

from bitstream.container import (
    FORMAT_VERSION,
    LR_FORMATS,
    MAGIC,
    MODES,
    Header,
    IrnFile,
    Limits,
    is_irn,
    pack,
    read_file,
    unpack,
)
from bitstream.errors import (
    BadMagicError,
    ChecksumError,
    FieldError,
    FormatError,
    HeaderError,
    LimitError,
    TruncatedError,
    UnsupportedVersionError,
)

__all__ = [
    "FORMAT_VERSION",
    "LR_FORMATS",
    "MAGIC",
    "MODES",
    "BadMagicError",
    "ChecksumError",
    "FieldError",
    "FormatError",
    "Header",
    "HeaderError",
    "IrnFile",
    "LimitError",
    "Limits",
    "TruncatedError",
    "UnsupportedVersionError",
    "is_irn",
    "pack",
    "read_file",
    "unpack",
]
