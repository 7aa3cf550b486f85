"""The header of a safetensors file, read without loading a tensor or any ML library.

A safetensors file is an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the raw bytes. Reading only that lets a web process refuse a
pickle, a truncated file or a file that is not safetensors at all before anything stores or
loads it; nothing here ever unpickles (a .ckpt/.pt/.bin is recognised by its first bytes).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext

# Bytes per element of each dtype the format defines.
DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
# safetensors' own reader refuses headers above 100 MB; a LoRA's is a few hundred KB.
MAX_HEADER_BYTES = 100 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"  # torch.save's default container (a zip holding a pickle)


class HeaderError(ValueError):
    """`code` is one of: pickle, not_safetensors, truncated, empty."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    header_bytes: int
    data_bytes: int  # what the offsets say the tensor data needs


def _looks_like_pickle(head: bytes) -> bool:
    # Protocol 2+ pickles start with PROTO (0x80) and the protocol number; torch.save writes a
    # zip by default and raw protocol-2 pickles with `_use_new_zipfile_serialization=False`.
    return head.startswith(ZIP_MAGIC) or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5)


def read_header(fh: BinaryIO, size: int) -> SafetensorsHeader:
    """Parse and check the header of the `size`-byte file open in `fh` (read from its start).

    Raises HeaderError naming what is wrong. Every tensor's byte range must match its dtype
    and shape and lie inside the file: a file cut short anywhere is "truncated".
    """
    fh.seek(0)
    head = fh.read(8)
    if not head:
        raise HeaderError(gettext("the file is empty"), code="empty")
    if _looks_like_pickle(head):
        raise HeaderError(
            gettext(
                "not a safetensors file (pickle): .ckpt/.pt/.bin checkpoints can run code when "
                "loaded; convert it to .safetensors first"
            ),
            code="pickle",
        )
    if len(head) < 8:
        raise HeaderError(
            gettext("file truncated: shorter than a safetensors header"), code="truncated"
        )
    (length,) = struct.unpack("<Q", head)
    first = fh.read(1)
    if first != b"{" or length < 2 or length > MAX_HEADER_BYTES:
        raise HeaderError(
            gettext("not a safetensors file (no safetensors header)"), code="not_safetensors"
        )
    if 8 + length > size:
        raise HeaderError(
            gettext("file truncated: the header needs %(needed)s bytes, the file has %(has)s")
            % {"needed": length, "has": size - 8},
            code="truncated",
        )
    raw = first + fh.read(length - 1)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HeaderError(
            gettext("not a safetensors file (the header is not JSON)"), code="not_safetensors"
        ) from exc
    if not isinstance(header, dict):
        raise HeaderError(
            gettext("not a safetensors file (the header is not an object)"),
            code="not_safetensors",
        )
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise HeaderError(
            gettext("not a safetensors file (bad __metadata__)"), code="not_safetensors"
        )
    tensors = {name: _tensor(name, info) for name, info in header.items()}
    data_bytes = max((t.end for t in tensors.values()), default=0)
    available = size - 8 - length
    if data_bytes > available:
        raise HeaderError(
            gettext(
                "file truncated: the tensors need %(needed)s bytes of data, the file has %(has)s"
            )
            % {"needed": data_bytes, "has": available},
            code="truncated",
        )
    return SafetensorsHeader(tensors, dict(metadata), length, data_bytes)


def _tensor(name: str, info) -> TensorInfo:
    def bad(why: str) -> HeaderError:
        # `why` stays English: it names the header field at fault for whoever fixes the file.
        return HeaderError(
            gettext("not a safetensors file (tensor %(name)s: %(why)s)")
            % {"name": name, "why": why},
            code="not_safetensors",
        )

    if not isinstance(info, dict):
        raise bad("no description")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_SIZES:
        raise bad(f"unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise bad("bad shape")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and o >= 0 for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise bad("bad data_offsets")
    if offsets[1] - offsets[0] != math.prod(shape) * DTYPE_SIZES[dtype]:
        raise bad("byte range does not match its shape")
    return TensorInfo(dtype, tuple(shape), offsets[0], offsets[1])
