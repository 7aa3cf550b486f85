"""Vocabulary of the demand parser, kept as data so adding a word never means adding code.

Every phrase is written the way a user types it. English phrases are matched word by word
(hyphens and spaces are equivalent: "pixel-art" == "pixel art"); Chinese phrases character by
character, longest match first, so "猫头鹰" (owl) wins over "猫" (cat) and "熊猫" over "熊".
"""

from __future__ import annotations

# attribute -> canonical value -> phrases (English and simplified Chinese).
# A phrase may appear under several attributes ("少女" is female *and* young).
# fmt: off
LEXICON: dict[str, dict[str, list[str]]] = {
    "style": {
        "cartoon": [
            "cartoon", "cartoonish", "cartoony", "toon", "comic", "sticker", "卡通", "漫画", "q版",
            "卡通风",
        ],
        "realistic": [
            "realistic", "photorealistic", "photo", "photograph", "lifelike", "hyperrealistic",
            "real life", "写实", "真实", "逼真", "照片", "真人",
        ],
        "abstract": ["abstract", "geometric", "cubist", "抽象", "几何"],
        "3d": [
            "3d", "3 d", "three dimensional", "3d render", "low poly", "cgi", "三维", "立体",
            "3d渲染",
        ],
        "pixel": [
            "pixel", "pixel art", "pixelated", "8 bit", "16 bit", "retro game", "像素", "像素风",
            "8位",
        ],
        "anime": ["anime", "manga", "chibi", "动漫", "二次元", "日系", "日漫", "动画"],
        "flat": [
            "flat", "flat design", "minimalist", "minimal", "vector", "扁平", "扁平化", "极简",
            "简约",
        ],
        "clay": ["clay", "claymation", "plasticine", "play doh", "黏土", "粘土", "橡皮泥", "陶土"],
    },
    "subject": {
        "robot": [
            "robot", "bot", "chatbot", "android", "droid", "mech", "cyborg", "automaton", "机器人",
            "机械人", "聊天机器人", "仿生人",
        ],
        "human": ["human", "person", "people", "character", "人", "人物", "人类", "真人"],
        "animal": ["animal", "creature", "pet", "critter", "动物", "宠物", "小动物"],
        "mascot": ["mascot", "吉祥物", "公仔"],
    },
    "animal": {
        "cat": ["cat", "kitten", "kitty", "猫", "小猫", "猫咪", "喵"],
        "dog": ["dog", "puppy", "doggo", "pup", "狗", "小狗", "狗狗"],
        "fox": ["fox", "狐狸", "小狐狸"],
        "owl": ["owl", "猫头鹰"],
        "bear": ["bear", "teddy bear", "熊", "小熊"],
        "panda": ["panda", "熊猫"],
        "rabbit": ["rabbit", "bunny", "兔", "兔子", "小兔", "小白兔"],
        "penguin": ["penguin", "企鹅"],
        "lion": ["lion", "狮子"],
        "tiger": ["tiger", "老虎", "虎"],
        "bird": ["bird", "鸟", "小鸟"],
        "frog": ["frog", "青蛙"],
        "monkey": ["monkey", "猴子", "猴"],
        "koala": ["koala", "考拉", "树袋熊"],
        "mouse": ["mouse", "老鼠", "鼠"],
        "hamster": ["hamster", "仓鼠"],
        "dragon": ["dragon", "龙", "小龙"],
        "unicorn": ["unicorn", "独角兽"],
        "duck": ["duck", "duckling", "鸭子", "小鸭"],
        "dinosaur": ["dinosaur", "dino", "恐龙"],
        "octopus": ["octopus", "章鱼"],
        "wolf": ["wolf", "狼"],
    },
    "gender": {
        "female": [
            "woman", "girl", "female", "lady", "feminine", "she", "her", "gal", "businesswoman",
            "grandma", "grandmother", "old woman", "little girl", "女", "女性", "女孩", "女生",
            "女人", "姑娘", "少女", "小女孩", "女士", "奶奶", "老奶奶", "阿姨", "老太太",
        ],
        "male": [
            "man", "boy", "male", "guy", "gentleman", "masculine", "he", "his", "businessman",
            "grandpa", "grandfather", "old man", "little boy", "dude", "男", "男性", "男孩", "男生",
            "男人", "小伙", "小伙子", "少年", "小男孩", "先生", "爷爷", "老爷爷", "大叔", "老头",
        ],
        "neutral": ["androgynous", "gender neutral", "non binary", "nonbinary", "unisex", "中性"],
    },
    "age": {
        "child": [
            "child", "kid", "toddler", "baby", "little girl", "little boy", "儿童", "小孩", "孩子",
            "小朋友", "宝宝", "小女孩", "小男孩", "幼儿",
        ],
        "young": [
            "young", "teen", "teenager", "teenage", "youth", "youthful", "年轻", "青年", "少年",
            "少女", "青少年", "小伙子",
        ],
        "adult": ["adult", "middle aged", "grown up", "成年", "成年人", "中年", "大叔", "阿姨"],
        "elderly": [
            "old", "elderly", "senior", "aged", "grandpa", "grandma", "grandfather", "grandmother",
            "old man", "old woman", "老人", "老年", "年长", "年迈", "爷爷", "奶奶", "老爷爷",
            "老奶奶", "老头", "老太太",
        ],
    },
    "expression": {
        "happy": [
            "happy", "cheerful", "joyful", "joyous", "smiling", "smile", "smiley", "grinning",
            "grin", "laughing", "开心", "快乐", "高兴", "微笑", "笑", "笑容", "愉快", "笑眯眯",
            "欢乐",
        ],
        "friendly": [
            "friendly", "kind", "welcoming", "warm", "approachable", "helpful", "友好", "友善",
            "亲切", "和蔼", "热情", "温和", "亲和",
        ],
        "serious": ["serious", "stern", "strict", "严肃", "认真", "严谨"],
        "surprised": [
            "surprised", "shocked", "amazed", "astonished", "惊讶", "吃惊", "震惊", "惊喜",
        ],
        "calm": [
            "calm", "relaxed", "serene", "peaceful", "neutral", "composed", "冷静", "平静", "淡定",
            "安静", "沉稳",
        ],
        "playful": [
            "playful", "mischievous", "cheeky", "silly", "fun", "funny", "winking", "wink", "调皮",
            "顽皮", "俏皮", "活泼", "搞怪", "眨眼",
        ],
        "angry": ["angry", "mad", "furious", "grumpy", "annoyed", "生气", "愤怒", "发怒", "暴躁"],
        "sad": [
            "sad", "unhappy", "crying", "gloomy", "upset", "悲伤", "难过", "伤心", "不开心", "哭",
        ],
        "confident": ["confident", "cool", "proud", "determined", "自信", "酷", "帅气"],
        "sleepy": ["sleepy", "tired", "drowsy", "困", "困倦", "睡眼惺忪"],
    },
    "hair_style": {
        "short": ["short hair", "short haired", "pixie cut", "crew cut", "短发", "短头发"],
        "long": ["long hair", "long haired", "长发", "长头发", "披肩发"],
        "curly": ["curly hair", "curls", "afro", "卷发", "卷毛", "爆炸头"],
        "bald": ["bald", "no hair", "hairless", "shaved head", "光头", "秃头", "没有头发"],
        "ponytail": ["ponytail", "pony tail", "马尾", "马尾辫"],
        "bun": ["bun", "hair bun", "top knot", "丸子头", "发髻"],
        "braids": ["braids", "braid", "pigtails", "辫子", "麻花辫", "双马尾"],
        "spiky": ["spiky hair", "spikes", "刺猬头"],
        "bob": ["bob", "bob cut", "波波头", "齐耳短发"],
        "mohawk": ["mohawk", "莫西干"],
    },
    "hair_color": {
        "blonde": ["blonde", "blond", "golden hair", "金发", "黄发"],
        "brown": ["brunette", "棕发"],
        "red": ["redhead", "ginger", "红发"],
        "black": ["黑发"],
        "white": ["白发"],
        "gray": ["银发", "灰发"],
    },
    "eye_color": {
    },
    "eye_style": {
        "visor": ["visor", "led visor", "screen face", "面罩", "护目镜", "屏幕脸"],
        "sparkle": ["sparkly eyes", "sparkling eyes", "starry eyes", "星星眼"],
    },
    "head_shape": {
        "round": ["round head", "round face", "圆脸", "圆头", "圆脑袋"],
        "square": ["square head", "boxy", "square face", "方头", "方脸", "方脑袋", "方形"],
        "hexagon": ["hexagon", "hexagonal", "六边形", "六角形"],
        "rounded": ["rounded head", "圆角"],
    },
    "accessories": {
        "glasses": ["glasses", "spectacles", "eyeglasses", "specs", "眼镜"],
        "round glasses": ["round glasses", "round spectacles", "圆眼镜", "圆框眼镜", "圆形眼镜"],
        "sunglasses": ["sunglasses", "shades", "墨镜", "太阳镜", "太阳眼镜"],
        "monocle": ["monocle", "单片眼镜"],
        "headphones": [
            "headphones", "headphone", "headset", "earphones", "earmuffs", "耳机", "头戴式耳机",
            "耳麦",
        ],
        "hat": ["hat", "fedora", "top hat", "帽子", "礼帽", "毡帽"],
        "cap": ["cap", "baseball cap", "snapback", "棒球帽", "鸭舌帽"],
        "beanie": ["beanie", "knit hat", "wool hat", "毛线帽", "针织帽"],
        "crown": ["crown", "tiara", "王冠", "皇冠"],
        "antenna": ["antenna", "antennae", "antennas", "天线"],
        "bow tie": ["bow tie", "bowtie", "领结"],
        "tie": ["tie", "necktie", "领带"],
        "scarf": ["scarf", "bandana", "bandanna", "kerchief", "neckerchief", "围巾", "头巾"],
        "earrings": ["earrings", "earring", "耳环", "耳钉"],
        "necklace": ["necklace", "pendant", "项链"],
        "bow": ["hair bow", "bow", "ribbon", "蝴蝶结", "发带"],
        "flower": ["flower", "hair flower", "花", "小花", "花朵"],
        "headband": ["headband", "发箍"],
        "helmet": ["helmet", "头盔"],
        "mask": ["face mask", "mask", "口罩", "面具"],
        "badge": ["badge", "name tag", "徽章", "工牌"],
        "beard": ["beard", "bearded", "胡子", "胡须", "络腮胡"],
        "mustache": ["mustache", "moustache", "小胡子", "八字胡"],
    },
    "clothing": {
        "hoodie": ["hoodie", "hooded sweatshirt", "卫衣", "连帽衫"],
        "suit": ["suit", "business suit", "tuxedo", "blazer", "西装", "正装", "西服"],
        "t-shirt": ["t shirt", "tshirt", "tee", "t恤", "短袖"],
        "shirt": ["shirt", "button up", "collared shirt", "衬衫", "衬衣"],
        "sweater": ["sweater", "jumper", "cardigan", "pullover", "毛衣", "针织衫"],
        "jacket": ["jacket", "coat", "bomber", "夹克", "外套"],
        "dress": ["dress", "gown", "skirt", "裙子", "连衣裙", "长裙"],
        "uniform": ["uniform", "制服"],
        "lab coat": ["lab coat", "白大褂", "实验服"],
        "kimono": ["kimono", "和服"],
        "hanfu": ["hanfu", "汉服"],
        "qipao": ["qipao", "cheongsam", "旗袍"],
        "armor": ["armor", "armour", "盔甲", "铠甲"],
        "spacesuit": ["spacesuit", "space suit", "astronaut suit", "宇航服", "太空服"],
        "apron": ["apron", "围裙"],
        "overalls": ["overalls", "dungarees", "背带裤"],
    },
    "background": {
        "plain": [
            "plain background", "solid background", "simple background", "plain backdrop",
            "solid color background", "纯色背景", "简单背景", "纯色", "纯背景",
        ],
        "gradient": ["gradient", "gradient background", "渐变", "渐变背景"],
        "pattern": [
            "pattern", "patterned", "polka dots", "polka dot", "stripes", "striped background",
            "图案", "波点", "条纹",
        ],
        "office": ["office", "workplace", "desk", "办公室", "办公"],
        "space": [
            "space", "outer space", "galaxy", "starry", "stars", "cosmos", "starry sky", "太空",
            "星空", "宇宙", "外太空", "银河",
        ],
        "city": ["city", "cityscape", "skyline", "城市", "都市"],
        "nature": ["nature", "forest", "park", "garden", "森林", "自然", "公园", "花园"],
        "beach": ["beach", "seaside", "ocean", "sea", "海滩", "海边", "沙滩", "大海"],
        "sky": ["sky", "clouds", "cloudy sky", "天空", "蓝天", "云朵", "白云"],
        "studio": ["studio", "studio lighting", "摄影棚", "工作室"],
        "transparent": [
            "transparent", "no background", "transparent background", "透明", "透明背景", "无背景",
            "不要背景", "没有背景",
        ],
    },
    "colors": {
        "red": ["red", "crimson", "scarlet", "红", "红色", "大红", "大红色"],
        "orange": ["orange", "tangerine", "橙", "橙色", "橘色", "橘黄色", "橘"],
        "yellow": ["yellow", "lemon", "黄", "黄色", "明黄"],
        "green": ["green", "lime", "emerald", "绿", "绿色", "翠绿"],
        "teal": ["teal", "cyan", "turquoise", "aqua", "青色", "蓝绿色", "青绿色", "青"],
        "blue": ["blue", "azure", "cobalt", "蓝", "蓝色", "宝蓝"],
        "light blue": ["light blue", "sky blue", "baby blue", "天蓝", "天蓝色", "浅蓝", "浅蓝色"],
        "navy": [
            "navy", "dark blue", "navy blue", "midnight blue", "深蓝", "深蓝色", "藏青", "藏青色",
            "海军蓝",
        ],
        "purple": ["purple", "violet", "lavender", "lilac", "紫", "紫色", "淡紫色"],
        "pink": ["pink", "magenta", "rose", "粉", "粉色", "粉红", "粉红色", "玫红"],
        "brown": ["brown", "chocolate", "tan", "棕", "棕色", "褐色", "咖啡色", "栗色"],
        "black": ["black", "黑", "黑色"],
        "white": ["white", "白", "白色"],
        "gray": ["gray", "grey", "灰", "灰色"],
        "silver": ["silver", "metallic", "chrome", "银", "银色", "金属", "金属色"],
        "gold": ["gold", "golden", "金", "金色", "金黄", "金黄色"],
    },
}
# fmt: on

# Words that suggest a value without naming it; an explicit word for the same attribute wins
# ("a cute happy cat" is happy, "a cute cat" is cute).
# fmt: off
HINTS: dict[str, dict[str, list[str]]] = {
    "expression": {
        "cute": ["cute", "adorable", "kawaii", "sweet", "可爱", "萌", "呆萌", "软萌"],
        "serious": ["professional", "business", "formal", "专业", "商务", "正式"],
        "friendly": ["smart", "clever", "聪明"],
    },
    "subject": {
        "robot": [
            "ai", "cyber", "cyberpunk", "mechanical", "futuristic", "tech", "人工智能", "智能",
            "机械", "赛博朋克", "科技",
        ],
    },
    "style": {
        "cartoon": ["illustration", "drawing", "插画", "手绘"],
    },
}
# fmt: on

# Nouns that a preceding colour or adjective describes: "red hair", "蓝色的眼睛", "white
# background". Matches of the attributes in HEAD_ATTRIBUTES act as the same head, so "黑色长发"
# is black hair that is long.
# fmt: off
HEAD_NOUNS: dict[str, list[str]] = {
    "hair": ["hair", "haired", "hairstyle", "hairdo", "头发", "发", "发色", "发型"],
    "eyes": [
        "eyes", "eye", "eyed", "eyeballs", "pupils", "irises", "眼睛", "眼", "眼眸", "眼珠", "瞳",
        "瞳孔", "双眼", "眸子",
    ],
    "background": ["background", "backdrop", "bg", "背景", "背景色", "底色"],
}
# fmt: on
HEAD_ATTRIBUTES: dict[str, str] = {
    "hair_style": "hair",
    "eye_style": "eyes",
    "background": "background",
}

# Where a colour goes when it sits in front of a head noun.
COLOR_TARGETS: dict[str, str] = {
    "hair": "hair_color",
    "eyes": "eye_color",
    "background": "background_color",
}

# Adjectives that only mean something in front of their head noun ("long hair", "big eyes");
# elsewhere they are stop words or unknown ("a long day").
# fmt: off
HEAD_MODIFIERS: dict[str, dict[str, dict[str, list[str]]]] = {
    "hair": {
        "hair_style": {
            "short": ["short", "短"],
            "long": ["long", "长"],
            "curly": ["curly", "wavy", "卷", "卷曲"],
            "straight": ["straight", "直"],
            "spiky": ["spiky", "messy", "炸"],
            "braids": ["braided"],
        },
    },
    "eyes": {
        "eye_style": {
            "big": ["big", "large", "huge", "round", "大", "大大"],
            "dot": ["small", "tiny", "beady", "dot", "dotted", "小", "豆豆"],
            "sparkle": ["sparkly", "sparkling", "shiny", "glowing", "闪亮", "闪闪", "发光"],
        },
    },
}
# fmt: on

# Colour names in values must agree with colours used elsewhere; hair has its own names.
HAIR_COLOR_ALIASES: dict[str, str] = {"gold": "blonde", "yellow": "blonde", "silver": "gray"}

# fmt: off
NEGATORS: list[str] = [
    "without", "no", "not", "never", "don't", "dont", "doesn't", "doesnt", "sans", "minus",
    "not wearing", "no need for", "isn't", "isnt", "aren't", "is not", "must not", "mustn't",
    "shouldn't", "should not", "free of", "不戴", "不带", "没有", "没", "无", "不要", "别", "不含",
    "去掉", "不用", "不穿", "不需要", "不是", "并非", "不", "也不要", "别戴",
]
# Written after what they negate: "glasses-free", "hat-less".
POSTFIX_NEGATORS: list[str] = ["-free", "-less"]
CONJUNCTIONS: list[str] = [
    "and", "or", "nor", "plus", "和", "或", "或者", "与", "跟", "及", "以及", "、", "也", "还有",
]
# fmt: on
# After a negated item, these words start a new, positive clause ("without glasses but with
# a hat", "不戴眼镜但戴帽子").
# fmt: off
SCOPE_BREAKERS: list[str] = [
    "with", "but", "has", "have", "wearing", "wears", "however", "但", "但是", "而", "而是", "却",
    "戴着", "带着", "穿着", "是", "只要",
]
# fmt: on

# fmt: off
STOP_WORDS: list[str] = [
    "a", "an", "the", "with", "and", "or", "of", "in", "on", "at", "to", "for", "from", "by", "is",
    "are", "be", "been", "being", "was", "that", "this", "it", "its", "it's", "i", "me", "my",
    "we", "our", "us", "you", "your", "want", "wants", "need", "would", "like", "please", "make",
    "create", "draw", "generate", "design", "render", "give", "get", "show", "some", "any", "very",
    "really", "quite", "rather", "slightly", "bit", "little", "sort", "has", "have", "having",
    "wearing", "wears", "wear", "who", "which", "looks", "looking", "look", "looks", "holding",
    "hey", "pls", "u", "w", "kinda", "lil", "do", "dressed", "made", "isn't", "must", "not", "no",
    "style", "styled", "avatar", "icon", "profile", "picture", "pfp", "image", "portrait",
    "headshot", "face", "head", "assistant", "helper", "agent", "support", "customer", "service",
    "brand", "company", "our", "as", "but", "also", "too", "both", "one", "just", "more", "much",
    "so", "can", "could", "should", "will", "lets", "let's", "maybe", "something", "someone",
    "thing", "type", "version", "background", "big", "small", "tiny", "large", "long", "short",
    "round", "的", "地", "得", "一个", "一只", "一位", "一名", "一款", "一张", "个", "只", "位",
    "名", "款", "张", "带", "带着", "戴", "戴着", "穿", "穿着", "有", "是", "很", "非常", "特别",
    "比较", "有点", "要", "想要", "想", "我", "我们", "请", "给", "帮", "帮我", "画", "生成",
    "设计", "做", "制作", "头像", "形象", "风格", "风", "样子", "感觉", "看起来", "拿着", "在",
    "上", "里", "中", "着", "了", "把", "为", "用", "作为", "一点", "点", "些", "这个", "那个",
    "它", "他", "她", "客服", "助手", "助理", "虚拟", "品牌", "公司", "色", "的话", "一下", "小",
    "大", "可以", "能", "就", "都", "还", "又", "但", "但是", "而", "却", "背景", "脸", "头",
    "款式", "类型", "表情", "样", "图", "图片", "角色", "卡", "一条", "条", "一头", "一群", "一件",
    "一顶", "一副", "一把", "一套", "一身", "手里", "手", "整体", "只要", "就是", "一些", "正在",
    "会", "在",
]
# fmt: on

# Named colours -> sRGB, shared by the prompt builder (names) and the vector engine (pixels).
COLOR_HEX: dict[str, str] = {
    "red": "#e5484d",
    "orange": "#f76b15",
    "yellow": "#ffc53d",
    "green": "#30a46c",
    "teal": "#12a594",
    "blue": "#3e63dd",
    "light blue": "#7cc4fa",
    "navy": "#1f2d5c",
    "purple": "#8e4ec6",
    "pink": "#e93d82",
    "brown": "#8d5a3b",
    "black": "#222222",
    "white": "#f4f4f2",
    "gray": "#8b8d98",
    "silver": "#c0c4cc",
    "gold": "#d4a72c",
    "blonde": "#f1cf79",
}

# Traditional -> simplified for the characters the lexicon uses; anything else passes through.
TRADITIONAL = (
    "機器貓藍綠紅頭髮鏡帶圍領結畫動寫實線圖風開嚴驚訝靜氣黃銀鷹鳥龍獅豬隻個兒樂愛漸辦間體維電腦"
    "裝衛長捲調難過傷師戰護藝術簡單純顏現設計邊圓雲鬆憂歡興這請給幫們與沒無見親熱淺鴨魚鯊項鍊環"
    "禮發讓鬥騎領蝴狐兔猴熊貓鼠龍獨角獸號種黏蓋絲綢襯衫滿彎淚惱憤溫靈麗導遊場圖蘭鬍鬚燈罩盔"
)
SIMPLIFIED = (
    "机器猫蓝绿红头发镜带围领结画动写实线图风开严惊讶静气黄银鹰鸟龙狮猪只个儿乐爱渐办间体维电脑"
    "装卫长卷调难过伤师战护艺术简单纯颜现设计边圆云松忧欢兴这请给帮们与没无见亲热浅鸭鱼鲨项链环"
    "礼发让斗骑领蝴狐兔猴熊猫鼠龙独角兽号种黏盖丝绸衬衫满弯泪恼愤温灵丽导游场图兰胡须灯罩盔"
)

# Words after which nouns name what the character wears or holds, not the character itself
# ("a knight on a white horse" is no horse). After an ACTION marker nothing becomes an attribute
# ("knitting a scarf" wears no scarf); after a WEAR marker clothing and accessories still do.
# Unknown English words ending in "-ing" act as action markers.
# fmt: off
ACTION_MARKERS: list[str] = [
    "holding", "holds", "carrying", "hugging", "eating", "drinking", "riding", "playing",
    "pulling", "juggling", "stroking", "reading", "delivering", "tossing", "watering",
    "balancing", "knitting", "dressed as", "made of", "covered in", "拿", "拿着", "抱", "抱着",
    "骑", "骑着", "叼着", "拄着", "举着", "握着", "弹", "背着", "捧着", "手拿", "手里拿着",
]
WEAR_MARKERS: list[str] = [
    "with", "w", "wearing", "wears", "in", "on", "at", "has", "have", "戴", "戴着", "穿",
    "穿着", "围着", "带着", "扎", "留着",
]
# fmt: on
OBJECT_MARKERS: list[str] = ACTION_MARKERS + WEAR_MARKERS

# Lexicon attributes whose English words also bring their WordNet synonyms (first-sense ones).
WORDNET_EXPANDED: dict[str, str] = {
    "clothing": "noun",
    "accessories": "noun",
    "animal": "noun",
    "expression": "adj",
}

# Roles that say the character's gender too; WordNet supplies the role itself.
# fmt: off
GENDERED_ROLES: dict[str, list[str]] = {
    "female": [
        "queen", "princess", "bride", "witch", "actress", "waitress", "nun", "policewoman",
        "ballerina", "heroine", "goddess", "empress", "duchess", "housewife",
    ],
    "male": ["king", "prince", "policeman", "fireman", "emperor", "monk", "groom", "waiter"],
}
# fmt: on
for _gender, _roles in GENDERED_ROLES.items():
    LEXICON["gender"][_gender].extend(_roles)
# Professions too new for WordNet 3.0 (2006).
MODERN_ROLES: list[str] = [
    "barista", "gamer", "streamer", "youtuber", "influencer", "vlogger", "superhero",
    "supervillain",
]  # fmt: skip
# Person nouns that name no role ("a guy", "someone").
NOT_ROLES: set[str] = {
    "person", "people", "someone", "somebody", "friend", "user", "customer", "client", "guy",
    "dude", "character", "human", "individual", "adult", "teen", "teenager", "toddler", "child",
    "kid", "baby", "man", "woman", "boy", "girl", "lady", "gentleman", "grandma", "grandpa",
    "grandmother", "grandfather", "old man", "old woman", "senior", "youth", "male", "female",
    "mascot", "team", "staff", "he", "she", "brand", "mother", "father", "kids", "elder",
}  # fmt: skip

# Where a colour goes when it precedes the character's body ("green skin" is a green character).
HEAD_NOUNS["body"] = [
    "skin", "fur", "feathers", "body", "scales", "color", "colors", "colour", "colours", "palette",
    "color scheme", "皮肤", "毛", "羽毛", "身体", "配色", "颜色", "色调",
]  # fmt: skip
COLOR_TARGETS["body"] = "colors"
HEAD_NOUN_WORDS: set[str] = {p for ps in HEAD_NOUNS.values() for p in ps if p.isascii()}

# Mixed Latin + Chinese words, read as English before segmentation.
MIXED_WORDS: dict[str, str] = {"t恤衫": "t-shirt", "t恤": "t-shirt", "polo衫": "polo shirt"}

# CC-CEDICT (2020) lacks some words users write today; these glosses fill the gap.
# fmt: off
ZH_GLOSSARY: dict[str, str] = {
    "咖啡师": "barista", "蒸汽朋克": "steampunk", "赛博朋克": "cyberpunk", "柴犬": "shiba inu",
    "魔法棒": "magic wand", "圣诞帽": "santa hat", "配色": "color scheme", "嚎叫": "howl",
    "踢足球": "play football", "厨师帽": "chef hat", "头像": "avatar", "摇滚歌手": "rock singer",
    "程序员": "programmer", "二次元": "anime", "柯基": "corgi",
}
# fmt: on
