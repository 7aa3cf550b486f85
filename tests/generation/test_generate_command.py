import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

pytestmark = pytest.mark.django_db


def test_generate_writes_best_pack_with_vector_engine(no_models, tmp_path, capsys):
    call_command(
        "generate",
        "一个戴圆眼镜的蓝色机器人",
        "--n",
        "2",
        "--seed",
        "3",
        "--circle",
        "--out",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    assert "unscored" in out and "not ranked" in out
    circle = Image.open(tmp_path / "avatar-256-circle.png")
    assert circle.mode == "RGBA" and circle.getpixel((0, 0))[3] == 0
    assert Image.open(tmp_path / "avatar-512-square.webp").size == (512, 512)
    assert (tmp_path / "avatar.json").read_text().count('"seed": 3') == 1


@pytest.mark.ml
def test_generate_scores_with_clip_on_the_tiny_model(use_tiny_models, tmp_path, capsys):
    call_command(
        "generate",
        "a friendly robot",
        "--engine",
        "diffusers",
        "--n",
        "2",
        "--size",
        "64",
        "--steps",
        "2",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    assert out.count("CLIP ") == 2
    assert (tmp_path / "avatar-64-square.png").exists()


def test_generate_reports_bad_arguments(no_models, tmp_path):
    with pytest.raises(CommandError, match="between 1 and 8"):
        call_command("generate", "robot", "--n", "20", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="not configured"):
        call_command("generate", "robot", "--engine", "diffusers", "--out", str(tmp_path))
