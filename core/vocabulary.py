"""The product's fixed vocabulary of job parameters, named once for every layer.

API keys (tenants) limit these, presets (styles) default them and jobs (generation) accept
them, so they live below all three. The diffusers engine maps each sampler name to its
scheduler class; a test keeps that map and `SCHEDULER_NAMES` equal.
"""

ENGINE_NAMES = ("vector", "diffusers")
ENGINE_CHOICES = ("auto", *ENGINE_NAMES)
ALLOWED_SIZES = (64, 128, 256, 512, 768, 1024)
MAX_N = 8
SCHEDULER_NAMES = ("dpmpp_2m_karras", "euler_a", "ddim", "lcm")
# Render speed: "fast" is the few-step mode, available when the operator configured one of
# FAST_KINDS (an LCM-LoRA by path, or a distilled LCM/Turbo/Lightning model).
SPEEDS = ("standard", "fast")
FAST_KINDS = ("lcm_lora", "lcm", "turbo", "lightning")
# ControlNet conditions: what a control image shows. Each type has its own ControlNet weights
# (settings) and its own preprocessing (generation.engines.control_maps).
CONTROL_TYPES = ("canny", "lineart", "scribble", "silhouette", "pose")
# Region edits and variations: how much of the parent is re-noised (img2img / inpaint strength).
VARIATION_STRENGTHS = {"subtle": 0.3, "strong": 0.6}
# State packs (one character in several expressions for a chat bot): the states a preset may
# list, and the set a pack gets when its preset lists none.
STATE_PACK_STATES = (
    "neutral",
    "idle",
    "happy",
    "thinking",
    "surprised",
    "sorry",
    "talking",
    "sleeping",
    "confident",
    "playful",
)
DEFAULT_STATE_PACK_STATES = (
    "neutral",
    "happy",
    "thinking",
    "surprised",
    "sorry",
    "talking",
    "sleeping",
)
MAX_STATE_PACK_STATES = 8  # one job renders them: at most MAX_N images
