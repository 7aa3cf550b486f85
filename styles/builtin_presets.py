"""The built-in preset library, seeded by a data migration (and re-seedable in tests).

Plain data, no model imports, so the migration can use it with historical models.
"""

BUILTIN_PRESETS = [
    {
        "slug": "cartoon",
        "name": "Cartoon",
        "description": "Bold outlines and bright flat colours.",
        "base_style": "cartoon",
        "prompt_template": "avatar of {subject}, {style}, centered head and shoulders",
        "negative_prompt": "photo, realistic, blurry",
        "scheduler": "dpmpp_2m_karras",
        "steps": 25,
        "guidance_scale": 7.0,
    },
    {
        "slug": "realistic",
        "name": "Realistic",
        "description": "Photographic portrait with studio lighting.",
        "base_style": "realistic",
        "prompt_template": "portrait of {subject}, {style}, 85mm, shallow depth of field",
        "negative_prompt": "cartoon, illustration, painting, deformed",
        "scheduler": "dpmpp_2m_karras",
        "steps": 30,
        "guidance_scale": 6.0,
    },
    {
        "slug": "abstract",
        "name": "Abstract",
        "description": "Geometric shapes that suggest the character.",
        "base_style": "abstract",
        "prompt_template": "{subject} as {style}, bold shapes, balanced composition",
        "negative_prompt": "photo, text, watermark",
        "scheduler": "euler_a",
        "steps": 25,
        "guidance_scale": 8.0,
    },
    {
        "slug": "3d-render",
        "name": "3D render",
        "description": "Soft, glossy 3D character.",
        "base_style": "3d",
        "prompt_template": "{subject}, {style}, cute 3d character, studio backdrop",
        "negative_prompt": "flat, sketch, low poly, noisy",
        "scheduler": "dpmpp_2m_karras",
        "steps": 30,
        "guidance_scale": 7.0,
    },
    {
        "slug": "pixel-art",
        "name": "Pixel art",
        "description": "Crisp retro sprite.",
        "base_style": "pixel",
        "prompt_template": "{subject}, {style}, limited palette, game sprite",
        "negative_prompt": "blurry, smooth, photo, anti-aliasing",
        "scheduler": "euler_a",
        "steps": 20,
        "guidance_scale": 7.5,
    },
    {
        "slug": "anime",
        "name": "Anime",
        "description": "Cel-shaded anime character.",
        "base_style": "anime",
        "prompt_template": "{subject}, {style}, clean line art, detailed eyes",
        "negative_prompt": "photo, realistic, 3d, lowres",
        "scheduler": "dpmpp_2m_karras",
        "steps": 28,
        "guidance_scale": 7.0,
    },
    {
        "slug": "flat-vector",
        "name": "Flat vector",
        "description": "Minimal flat illustration, brand-friendly.",
        "base_style": "flat",
        "prompt_template": "{subject}, {style}, simple background, logo-ready",
        "negative_prompt": "photo, texture, gradient, 3d",
        "scheduler": "dpmpp_2m_karras",
        "steps": 20,
        "guidance_scale": 7.0,
    },
    {
        "slug": "clay",
        "name": "Clay",
        "description": "Handmade plasticine look.",
        "base_style": "clay",
        "prompt_template": "{subject}, {style}, handmade, tactile",
        "negative_prompt": "photo, flat, vector, sharp edges",
        "scheduler": "dpmpp_2m_karras",
        "steps": 30,
        "guidance_scale": 6.5,
    },
]


def seed_builtin_presets(preset_model) -> int:
    """Create or refresh the built-ins (tenant NULL); returns how many exist afterwards."""
    for spec in BUILTIN_PRESETS:
        fields = {k: v for k, v in spec.items() if k != "slug"}
        fields["default_attributes"] = {"style": spec["base_style"]}
        preset_model.objects.update_or_create(tenant=None, slug=spec["slug"], defaults=fields)
    return preset_model.objects.filter(tenant__isnull=True).count()
