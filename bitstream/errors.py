"""Typed errors of the ``.irn`` container. Every malformed input raises one of these."""

from __future__ import annotations

__all__ = [
    "BadMagicError",
    "ChecksumError",
    "FieldError",
    "FormatError",
    "HeaderError",
    "LimitError",
    "TruncatedError",
    "UnsupportedVersionError",
]


class FormatError(ValueError):
    """Base class: the bytes are not a valid ``.irn`` file."""


class BadMagicError(FormatError):
    """The file does not start with the ``.irn`` magic: it is some other kind of file."""


class UnsupportedVersionError(FormatError):
    """The file is an ``.irn`` file of a format version this reader does not know."""


class TruncatedError(FormatError):
    """The file is shorter than its preamble says (cut off in transfer or on disk)."""


class ChecksumError(FormatError):
    """The checksum does not match: some byte of the file was changed."""


class HeaderError(FormatError):
    """The header is not a well-formed msgpack map of the documented fields and types."""


class FieldError(HeaderError):
    """A header field has a value outside its documented range."""


class LimitError(FormatError):
    """A size in the file exceeds the reader's limits; nothing was allocated for it."""
