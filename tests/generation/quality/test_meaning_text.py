"""The CLIP text score is taken against the user's meaning: their subject, attributes and extra
words, never the trigger word, the template's boilerplate, the palette line or the exclusions."""

import pytest

from generation.jobs.render_config import PresetRenderConfig
from generation.prompts.describe import describe
from generation.quality.meaning import FALLBACK, meaning_text

PRESET = PresetRenderConfig(
    preset_id="p",
    name="Brand",
    prompt_template="{subject}, {style}, centered head and shoulders, clean composition",
    trigger_word="zxqbrand",
    palette=("#ff0000", "#00ff00"),
    default_attributes={"style": "pixel", "background": "plain"},
)
BOILERPLATE = (
    "zxqbrand",
    "centered",
    "head and shoulders",
    "composition",
    "palette",
    "8-bit",
    "sprite",
    "plain background",  # a preset default the user never asked for
)


def _meaning(text: str, config=PRESET):
    d = describe(text, edits={}, config=config)
    meaning = meaning_text(
        attributes=d.attributes,
        description=text,
        unknown_words=d.unknown_words,
        parsed=d.parsed_attributes,
        defaults=config.default_attributes,
        trigger_word=config.trigger_word,
    )
    return meaning, d


@pytest.mark.parametrize("word", BOILERPLATE)
def test_trigger_word_and_boilerplate_are_left_out(word):
    meaning, described = _meaning("a friendly robot with round glasses holding a coffee mug")
    assert word in described.prompt  # the image model reads it...
    assert word not in meaning.lower()  # ...the ranking does not


def test_the_users_words_are_kept():
    meaning, _ = _meaning("a friendly blue robot with round glasses holding a coffee mug")
    for word in ("friendly", "blue", "robot", "round glasses", "coffee", "mug"):  # presence
        assert word in meaning
    assert meaning.startswith("a friendly blue robot")


def test_exclusions_stay_out_and_a_stated_style_stays_in():
    meaning, described = _meaning("a fox without a hat, cartoon style")
    assert "fox" in meaning and "cartoon style" in meaning
    assert "hat" not in meaning and "hat" in described.negative_prompt


def test_a_trigger_word_the_user_typed_is_removed_too():
    meaning, _ = _meaning("zxqbrand robot, Zxqbrand style")
    assert "zxqbrand" not in meaning.lower() and "robot" in meaning


def test_chinese_descriptions_score_against_their_english_meaning():
    meaning, _ = _meaning("一个戴眼镜的蓝色机器人")
    assert meaning == "a blue robot with glasses"


def test_an_unparsed_description_scores_against_itself_or_a_neutral_text():
    assert meaning_text(attributes={}, description="  something   unusual ") == (
        "something unusual"
    )
    assert meaning_text(attributes={}, description="") == FALLBACK
