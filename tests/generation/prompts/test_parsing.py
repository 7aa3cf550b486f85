import pytest

from generation.prompts.parsing import AttributeMatch, ParsedDescription, parse_description

# (description, expected subset of ParsedDescription.attributes())
CASES: list[tuple[str, dict]] = [
    # --- English ---
    (
        "A friendly blue robot with round glasses and headphones, plain background",
        {
            "subject": "robot",
            "expression": "friendly",
            "colors": ["blue"],
            "accessories": ["round glasses", "headphones"],
            "background": "plain",
        },
    ),
    ("cartoon fox mascot", {"style": "cartoon", "subject": "mascot", "animal": "fox"}),
    (
        "a cute orange cat",
        {"subject": "animal", "animal": "cat", "expression": "cute", "colors": ["orange"]},
    ),
    ("a cute happy panda", {"animal": "panda", "expression": "happy"}),
    (
        "photorealistic portrait of an elderly woman",
        {"style": "realistic", "subject": "human", "gender": "female", "age": "elderly"},
    ),
    (
        "young man with short black hair",
        {"gender": "male", "age": "young", "hair_style": "short", "hair_color": "black"},
    ),
    (
        "girl with long blonde hair and blue eyes",
        {"gender": "female", "hair_style": "long", "hair_color": "blonde", "eye_color": "blue"},
    ),
    ("woman with curly red hair", {"hair_style": "curly", "hair_color": "red"}),
    ("a redhead with green eyes", {"hair_color": "red", "eye_color": "green", "subject": "human"}),
    ("pixel art owl", {"style": "pixel", "animal": "owl", "subject": "animal"}),
    ("pixel-art dog", {"style": "pixel", "animal": "dog"}),
    ("8-bit robot", {"style": "pixel", "subject": "robot"}),
    ("3D render of a penguin", {"style": "3d", "animal": "penguin"}),
    (
        "anime girl with a ponytail",
        {"style": "anime", "gender": "female", "hair_style": "ponytail"},
    ),
    (
        "flat design bot with an antenna",
        {"style": "flat", "subject": "robot", "accessories": ["antenna"]},
    ),
    (
        "claymation bear with a bow tie",
        {"style": "clay", "animal": "bear", "accessories": ["bow tie"]},
    ),
    ("abstract geometric avatar", {"style": "abstract"}),
    (
        "a serious businessman in a suit and tie",
        {"expression": "serious", "gender": "male", "clothing": "suit", "accessories": ["tie"]},
    ),
    (
        "surprised kid wearing a baseball cap",
        {"expression": "surprised", "age": "child", "accessories": ["cap"]},
    ),
    (
        "calm old man with a beard",
        {"expression": "calm", "age": "elderly", "accessories": ["beard"]},
    ),
    (
        "playful monkey with sunglasses",
        {"expression": "playful", "animal": "monkey", "accessories": ["sunglasses"]},
    ),
    ("angry red robot", {"expression": "angry", "colors": ["red"], "subject": "robot"}),
    ("a sad grey rabbit", {"expression": "sad", "colors": ["gray"], "animal": "rabbit"}),
    ("robot without glasses", {"subject": "robot", "exclude": ["glasses"]}),
    ("a cat with no hat or scarf", {"animal": "cat", "exclude": ["hat", "scarf"]}),
    ("without glasses but with a hat", {"accessories": ["hat"], "exclude": ["glasses"]}),
    (
        "astronaut robot in a space suit, space background",
        {"clothing": "spacesuit", "background": "space"},
    ),
    (
        "purple and gold mascot on a gradient background",
        {"colors": ["purple", "gold"], "subject": "mascot", "background": "gradient"},
    ),
    ("a bunny on a white background", {"animal": "rabbit", "background_color": "white"}),
    (
        "smiling woman in an office wearing a hoodie",
        {"expression": "happy", "background": "office", "clothing": "hoodie"},
    ),
    (
        "bald man with glasses and a scarf",
        {"hair_style": "bald", "gender": "male", "accessories": ["glasses", "scarf"]},
    ),
    (
        "a navy blue droid with a visor",
        {"colors": ["navy"], "subject": "robot", "eye_style": "visor"},
    ),
    ("chibi kitten with big sparkly eyes", {"style": "anime", "animal": "cat", "eye_style": "big"}),
    # --- Chinese (simplified) ---
    (
        "一个戴圆眼镜的蓝色机器人",
        {"subject": "robot", "accessories": ["round glasses"], "colors": ["blue"]},
    ),
    ("友好的机器人，纯色背景", {"expression": "friendly", "background": "plain"}),
    ("卡通风格的狐狸吉祥物", {"style": "cartoon", "subject": "mascot", "animal": "fox"}),
    ("可爱的猫头鹰", {"animal": "owl", "expression": "cute"}),
    ("熊猫", {"animal": "panda", "subject": "animal"}),
    ("一只小猫", {"animal": "cat"}),
    (
        "黑色长发的少女",
        {"hair_color": "black", "hair_style": "long", "gender": "female", "age": "young"},
    ),
    ("金发蓝眼睛的女孩", {"hair_color": "blonde", "eye_color": "blue", "gender": "female"}),
    (
        "红色短发的男生，绿色眼睛",
        {"hair_color": "red", "hair_style": "short", "gender": "male", "eye_color": "green"},
    ),
    # The red is the scarf's, not the dog's (this case used to expect colors=["red"]).
    ("像素风的小狗，红色围巾", {"style": "pixel", "animal": "dog", "accessories": ["scarf"]}),
    ("动漫风格的女孩，戴耳机", {"style": "anime", "accessories": ["headphones"]}),
    ("写实风格的老人", {"style": "realistic", "age": "elderly", "subject": "human"}),
    ("3D风格的企鹅", {"style": "3d", "animal": "penguin"}),
    ("扁平化的机器人头像", {"style": "flat", "subject": "robot"}),
    ("黏土风格的小熊，戴皇冠", {"style": "clay", "animal": "bear", "accessories": ["crown"]}),
    ("抽象风格", {"style": "abstract"}),
    ("不戴眼镜的机器人", {"subject": "robot", "exclude": ["glasses"]}),
    ("不戴帽子和围巾的兔子", {"animal": "rabbit", "exclude": ["hat", "scarf"]}),
    ("不开心的机器人", {"expression": "sad"}),
    (
        "严肃的商务男士，穿西装，打领带",
        {"expression": "serious", "gender": "male", "clothing": "suit", "accessories": ["tie"]},
    ),
    ("惊讶的小孩", {"expression": "surprised", "age": "child"}),
    ("调皮的猴子，星空背景", {"expression": "playful", "animal": "monkey", "background": "space"}),
    (
        "生气的红色机器人，办公室背景",
        {"expression": "angry", "colors": ["red"], "background": "office"},
    ),
    ("粉色和白色的吉祥物，渐变背景", {"colors": ["pink", "white"], "background": "gradient"}),
    ("戴棒球帽的男孩，穿卫衣", {"accessories": ["cap"], "clothing": "hoodie"}),
    ("光头的大叔，戴墨镜", {"hair_style": "bald", "accessories": ["sunglasses"], "age": "adult"}),
    ("一只戴领结的青蛙", {"animal": "frog", "accessories": ["bow tie"]}),
    (
        "开心的女孩，马尾辫，蓝色眼睛",
        {"expression": "happy", "hair_style": "ponytail", "eye_color": "blue"},
    ),
    ("平静的机器人，有天线", {"expression": "calm", "accessories": ["antenna"]}),
    ("白色背景的橙色狐狸", {"background_color": "white", "colors": ["orange"]}),
    ("穿汉服的少女", {"clothing": "hanfu", "gender": "female"}),
    # --- traditional Chinese and mixed ---
    ("戴耳機的藍色機器人", {"accessories": ["headphones"], "colors": ["blue"], "subject": "robot"}),
    ("可愛的貓", {"animal": "cat", "expression": "cute"}),
    (
        "cute 机器人 with 耳机",
        {"subject": "robot", "accessories": ["headphones"], "expression": "cute"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parses_description(text, expected):
    attributes = parse_description(text).attributes()
    for key, value in expected.items():
        assert attributes.get(key) == value, f"{key}: {attributes}"


def test_table_covers_both_languages():
    zh = [t for t, _ in CASES if parse_description(t).language in ("zh", "mixed")]
    en = [t for t, _ in CASES if parse_description(t).language == "en"]
    assert len(CASES) >= 60
    assert len(zh) >= 30 and len(en) >= 30


def test_records_triggering_words():
    parsed = parse_description("A friendly blue robot with round glasses")
    assert parsed.subject == AttributeMatch("robot", ("robot",))
    assert parsed.expression == AttributeMatch("friendly", ("friendly",))
    assert parsed.accessories == [AttributeMatch("round glasses", ("round", "glasses"))]
    assert parsed.colors[0].source_words == ("blue",)


def test_records_chinese_triggering_words():
    parsed = parse_description("黑色长发的猫头鹰")
    assert parsed.animal == AttributeMatch("owl", ("猫", "头", "鹰"))
    assert parsed.hair_color is not None and parsed.hair_color.source_words == ("黑", "色")


def test_implied_subject_names_the_implying_words():
    parsed = parse_description("a fox")
    assert parsed.subject == AttributeMatch("animal", ("fox",))


def test_reports_unknown_words_but_not_stop_words():
    parsed = parse_description("a robot with a zorblax and the flumph")
    assert parsed.unknown_words == ["zorblax", "flumph"]


def test_chinese_the_lexicon_does_not_cover_is_translated_not_dropped():
    # This used to expect unknown_words == ["喜欢踢足球"]: the words never reached the prompt.
    parsed = parse_description("一个机器人，喜欢踢足球")
    assert parsed.subject.value == "robot"
    assert parsed.unknown_words == []
    assert [p.text for p in parsed.parts] == ["play football"]
    assert parsed.parts[0].source == "踢足球" and parsed.parts[0].origin == "cc-cedict"


def test_adjective_without_head_is_not_an_attribute():
    parsed = parse_description("a long robot")
    assert parsed.hair_style is None


def test_explicit_word_beats_hint():
    # "ai" only hints at a robot; "woman" names a human.
    assert parse_description("ai avatar of a woman").subject.value == "human"
    assert parse_description("an ai avatar").subject.value == "robot"


def test_plural_forms():
    assert parse_description("two cats").animal.value == "cat"
    assert parse_description("foxes").animal.value == "fox"


def test_empty_text():
    parsed = parse_description("")
    assert parsed.attributes() == {}
    assert parsed.language == ""
    assert parsed.unknown_words == []


def test_to_dict_shape():
    data = parse_description("blue robot without glasses, 戴耳机").to_dict()
    assert data["language"] == "mixed"
    assert data["attributes"]["subject"] == "robot"
    assert data["matches"]["subject"] == {
        "value": "robot",
        "source_words": ["robot"],
        "origin": "lexicon",
    }
    assert data["excluded"]["accessories"][0]["value"] == "glasses"
    assert data["matches"]["accessories"][0]["value"] == "headphones"


def test_refine_hook_gets_the_lexicon_result():
    seen = {}

    def refine(text: str, parsed: ParsedDescription) -> ParsedDescription:
        seen["unknown"] = list(parsed.unknown_words)
        parsed.style = AttributeMatch("cartoon", tuple(parsed.unknown_words))
        return parsed

    parsed = parse_description("robot in toonish look", refine=refine)
    assert seen["unknown"] == ["toonish"]
    assert parsed.style.value == "cartoon"
