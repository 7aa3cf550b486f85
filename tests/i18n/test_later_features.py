"""Text added after the first i18n pass (live preview, LoRA import, near-duplicates, signed file
links, fine-tune review) follows the active language, while `code` values stay English."""

import io

import pytest
from django.conf import settings
from django.utils import translation

from core import signed_files
from core.errors import InvalidInput
from core.safetensors_header import HeaderError, read_header
from generation.web.attribute_history import AttributeHistory
from styles.services.adapter_imports import check_upload


def _refusal(call):
    with pytest.raises((InvalidInput, HeaderError, signed_files.BadSignature)) as info:
        call()
    exc = info.value
    return getattr(exc, "message", str(exc)), getattr(exc, "code", None)


@pytest.mark.parametrize(
    ("call", "english", "chinese"),
    [
        (
            lambda: check_upload(io.BytesIO(b"x"), "lora.ckpt"),
            "not a safetensors file (pickle)",
            "不是 safetensors 文件",
        ),
        (lambda: read_header(io.BytesIO(b""), 0), "the file is empty", "文件为空"),
        (lambda: AttributeHistory.from_field("{"), "not valid JSON", "编辑历史"),
        (lambda: signed_files.check("a.png", "1", "bad"), "signature does not match", "签名"),
    ],
)
def test_refusals_speak_the_active_language_and_keep_their_code(call, english, chinese):
    with translation.override("en"):
        en, en_code = _refusal(call)
    with translation.override("zh-hans"):
        zh, zh_code = _refusal(call)
    assert english in en and chinese not in en
    assert chinese in zh and english not in zh
    assert en_code == zh_code


@pytest.mark.django_db
def test_lora_import_section_in_chinese(owner_client):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = owner_client.get("/finetunes/").content.decode()
    assert "导入在其他地方训练的 LoRA" in page and "Import a LoRA made elsewhere" not in page
    assert "LoRA 文件（.safetensors）" in page  # the form's label
