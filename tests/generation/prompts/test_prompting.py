from generation.prompts.parsing import parse_description
from generation.prompts.prompting import (
    ComposedPrompt,
    PresetSpec,
    compose_prompt,
    merge_attributes,
    nearest_color_name,
    subject_phrase,
)

TOON = PresetSpec(
    name="toon",
    prompt_template="cartoon avatar of {subject}, bold outlines, vibrant",
    negative_prompt="photo, realistic",
    trigger_word="sks",
    palette=("#3e63dd", "#ffffff"),
    default_attributes={"style": "cartoon", "accessories": ["headphones"], "background": "plain"},
)


def test_subject_phrase_reads_naturally():
    attrs = {
        "subject": "robot",
        "expression": "friendly",
        "colors": ["blue"],
        "accessories": ["round glasses", "headphones"],
        "background": "plain",
    }
    assert subject_phrase(attrs) == (
        "a friendly blue robot with round glasses and headphones, plain background"
    )


def test_human_nouns_from_gender_and_age():
    assert subject_phrase({"gender": "female", "age": "child"}) == "a girl"
    assert subject_phrase({"gender": "male", "age": "elderly"}) == "an elderly man"
    assert subject_phrase({"subject": "human"}) == "a person"
    assert subject_phrase({"subject": "mascot", "animal": "fox"}) == "a fox mascot"


def test_hair_eyes_clothing():
    phrase = subject_phrase(
        {
            "gender": "female",
            "hair_style": "long",
            "hair_color": "black",
            "eye_color": "green",
            "clothing": "hoodie",
        }
    )
    assert phrase == "a woman with long black hair and green eyes, wearing a hoodie"


def test_without_preset_uses_default_template_and_style():
    composed = compose_prompt({"subject": "robot", "style": "pixel"})
    assert isinstance(composed, ComposedPrompt)
    assert composed.prompt.startswith("avatar of a robot, pixel art")
    assert "blurry" in composed.negative_prompt


def test_preset_template_trigger_and_negative():
    composed = compose_prompt({"subject": "robot", "colors": ["red"]}, TOON)
    assert composed.prompt.startswith("sks, cartoon avatar of a red robot with headphones")
    assert composed.prompt.endswith("bold outlines, vibrant")
    assert "photo" in composed.negative_prompt.split(", ")


def test_user_attributes_override_preset_defaults():
    composed = compose_prompt({"subject": "cat", "background": "space"}, TOON)
    assert composed.attributes["background"] == "space"
    assert "space background" in composed.prompt
    assert "plain background" not in composed.prompt


def test_exclusions_remove_defaults_and_go_negative():
    attrs = parse_description("robot without headphones").attributes()
    composed = compose_prompt(attrs, TOON)
    assert "headphones" not in composed.attributes.get("accessories", [])
    assert "with headphones" not in composed.prompt
    assert "headphones" in composed.negative_prompt.split(", ")


def test_palette_named_when_user_gives_no_colours():
    composed = compose_prompt({"subject": "robot"}, TOON)
    assert "blue and white color palette" in composed.prompt
    assert "palette" not in compose_prompt({"subject": "robot", "colors": ["red"]}, TOON).prompt


def test_user_style_that_differs_from_preset_is_added():
    composed = compose_prompt({"subject": "robot", "style": "anime"}, TOON)
    assert "anime style" in composed.prompt


def test_unknown_keys_ignored_and_deterministic():
    attrs = {"subject": "robot", "mood_ring": "teal", "colors": ["teal"]}
    assert compose_prompt(attrs, TOON) == compose_prompt(dict(attrs), TOON)
    assert "mood_ring" not in compose_prompt(attrs).prompt


def test_negative_terms_deduplicated():
    preset = PresetSpec(name="x", negative_prompt="blurry, Watermark, extra")
    terms = compose_prompt({}, preset).negative_prompt.split(", ")
    assert len(terms) == len({t.lower() for t in terms})


def test_merge_and_colour_names():
    assert merge_attributes({"a": 1, "b": ""}, {"b": 2, "c": None}) == {"a": 1, "b": 2}
    assert nearest_color_name("#3f62dc") == "blue"
    assert nearest_color_name("nonsense") is None


def test_chinese_description_to_english_prompt():
    attrs = parse_description("一个戴圆眼镜的蓝色机器人，友好，纯色背景").attributes()
    assert subject_phrase(attrs) == "a friendly blue robot with round glasses, plain background"
