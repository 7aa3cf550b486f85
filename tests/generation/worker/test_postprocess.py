import io
import json

import pytest
from PIL import Image

from generation.worker.postprocess import build_sidecar, make_avatar_pack, square_crop


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def photo(width=600, height=400) -> Image.Image:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste(
        (20, 200, 20), (width // 2 - 20, height // 2 - 20, width // 2 + 20, height // 2 + 20)
    )
    return image


def test_sizes_limited_to_source_and_formats_decode():
    files = make_avatar_pack(photo())
    assert sorted({f.size for f in files}, reverse=True) == [256, 128, 64]
    assert {f.format for f in files} == {"png", "webp"}
    for f in files:
        image = decode(f.data)
        assert image.size == (f.size, f.size)
        assert image.format == f.format.upper()
        assert f.content_type == f"image/{f.format}"
        assert f.shape == "square"


def test_small_source_still_gives_its_own_size():
    files = make_avatar_pack(photo(40, 50), formats=("png",))
    assert [f.size for f in files] == [40]


def test_centre_crop_keeps_centre():
    cropped = square_crop(photo())
    assert cropped.size == (400, 400)
    assert cropped.getpixel((200, 200)) == (20, 200, 20)


def test_focus_box_moves_crop():
    cropped = square_crop(photo(), focus=(0, 0, 100, 100))
    assert cropped.size == (400, 400)
    assert cropped.getpixel((0, 0)) == (200, 40, 40)
    assert square_crop(photo(), focus=(580, 0, 600, 20)).getpixel((399, 0)) == (200, 40, 40)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_circle_has_transparent_corners_and_opaque_centre(fmt):
    files = make_avatar_pack(photo(), sizes=(128,), circle=True, formats=(fmt,))
    image = decode(files[0].data).convert("RGBA")
    assert files[0].shape == "circle"
    for corner in ((0, 0), (127, 0), (0, 127), (127, 127)):
        assert image.getpixel(corner)[3] == 0
    assert image.getpixel((64, 64))[3] == 255
    # Anti-aliased: the edge has partial alpha.
    assert any(0 < image.getpixel((x, x))[3] < 255 for x in range(0, 40))


def test_no_metadata_survives_even_from_exif_source():
    source = photo()
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x0131] = "SecretCam"  # Software
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG", exif=exif.tobytes())
    loaded = Image.open(io.BytesIO(buffer.getvalue()))
    assert loaded.getexif()
    loaded.info["comment"] = b"hidden"
    for f in make_avatar_pack(loaded, sizes=(64,), circle=False):
        image = decode(f.data)
        assert not image.getexif()
        assert b"secret" not in f.data and b"SecretCam" not in f.data
        assert b"eXIf" not in f.data and b"tEXt" not in f.data and b"iTXt" not in f.data
        assert b"EXIF" not in f.data and b"XMP " not in f.data


def test_bad_arguments():
    with pytest.raises(ValueError, match="formats"):
        make_avatar_pack(photo(), formats=("gif",))
    with pytest.raises(ValueError, match="sizes"):
        make_avatar_pack(photo(), sizes=(0,))


def test_sidecar_round_trips():
    metadata = {"seed": 3, "prompt": "一个机器人", "attributes": {"b": 1, "a": [1, 2]}}
    data = build_sidecar(metadata)
    assert json.loads(data.decode("utf-8")) == metadata
    assert "一个机器人" in data.decode("utf-8")
    assert data.decode().index('"attributes"') < data.decode().index('"prompt"')
