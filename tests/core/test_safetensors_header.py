"""The pure safetensors header reader: what the web process refuses before storing a LoRA."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import pytest

from core.safetensors_header import HeaderError, read_header


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], metadata=None) -> bytes:
    """A well-formed file built by hand (dtype, shape per tensor; zero bytes of data)."""
    sizes = {"F32": 4, "F16": 2}
    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def _read(data: bytes):
    return read_header(io.BytesIO(data), len(data))


VALID = safetensors_bytes(
    {
        "lora_unet_x.lora_down.weight": ("F32", [4, 64]),
        "lora_unet_x.lora_up.weight": ("F16", [64, 4]),
    },
    {"ss_network_dim": "4"},
)


def test_a_valid_file_gives_its_tensors_and_metadata():
    header = _read(VALID)
    assert header.tensors["lora_unet_x.lora_down.weight"].shape == (4, 64)
    assert header.tensors["lora_unet_x.lora_up.weight"].dtype == "F16"
    assert header.metadata == {"ss_network_dim": "4"}
    assert header.data_bytes == 4 * 64 * 4 + 64 * 4 * 2


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps({"state_dict": [1, 2, 3]}, protocol=2),
        pickle.dumps({"state_dict": [1, 2, 3]}, protocol=5),
        b"PK\x03\x04" + b"\0" * 40,  # torch.save's zip container
    ],
    ids=["pickle-2", "pickle-5", "torch-zip"],
)
def test_pickles_are_named_as_such(data):
    with pytest.raises(HeaderError, match=r"not a safetensors file \(pickle\)") as info:
        _read(data)
    assert info.value.code == "pickle"


def test_a_real_torch_zip_checkpoint_is_a_pickle():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(HeaderError) as info:
        _read(buf.getvalue())
    assert info.value.code == "pickle"


@pytest.mark.parametrize("cut", [len(VALID) - 1, len(VALID) - 300, 40, 9])
def test_a_file_cut_short_anywhere_is_truncated(cut):
    with pytest.raises(HeaderError, match="file truncated") as info:
        _read(VALID[:cut])
    assert info.value.code == "truncated"


def test_the_full_file_is_not_truncated():
    _read(VALID)
    _read(VALID + b"\0" * 8)  # trailing bytes are tolerated like safetensors does


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a" + b"\0" * 100,
        struct.pack("<Q", 5) + b"[1,2]",
        struct.pack("<Q", 7) + b"{nope}x",
        safetensors_bytes({"a": ("F32", [2, 2])}).replace(b'"F32"', b'"X32"'),
    ],
    ids=["gif", "json-array", "bad-json", "bad-dtype"],
)
def test_other_files_are_not_safetensors(data):
    with pytest.raises(HeaderError, match="not a safetensors file") as info:
        _read(data)
    assert info.value.code == "not_safetensors"


def test_a_byte_range_that_does_not_match_the_shape_is_refused():
    raw = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    data = struct.pack("<Q", len(raw)) + raw + bytes(8)
    with pytest.raises(HeaderError, match="does not match its shape"):
        _read(data)


def test_an_empty_file():
    with pytest.raises(HeaderError) as info:
        _read(b"")
    assert info.value.code == "empty"
