from django import forms

from core.vocabulary import ALLOWED_SIZES, MAX_N
from generation.models.webhooks import WEBHOOK_EVENTS

EXAMPLE = "a friendly blue robot with round glasses / 一个戴圆眼镜的蓝色机器人"
ENGINES = ("auto", "vector", "diffusers")


class GenerateForm(forms.Form):
    description = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": EXAMPLE}),
        help_text="Describe the bot in English or Chinese: who, mood, colours, accessories.",
    )
    preset = forms.ChoiceField(
        required=False,
        label="Style preset",
        widget=forms.RadioSelect,
        help_text="A brand style; “Default” uses the house style.",
    )
    n = forms.IntegerField(
        label="Candidates",
        min_value=1,
        max_value=MAX_N,
        initial=4,
        help_text=f"How many to render and rank (1–{MAX_N}).",
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Optional. The same seed and settings give the same avatars.",
    )
    engine = forms.ChoiceField(
        choices=[
            ("auto", "Automatic"),
            ("vector", "Vector (weight-free)"),
            ("diffusers", "Stable Diffusion"),
        ],
        initial="auto",
        help_text="Automatic uses Stable Diffusion when the server has a model.",
    )
    size = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "Preset default")] + [(s, f"{s} px") for s in ALLOWED_SIZES],
    )
    steps = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        help_text="Diffusion steps; empty uses the preset's.",
    )
    speed = forms.ChoiceField(
        choices=[("standard", "Standard"), ("fast", "Fast (few steps, cheaper)")],
        initial="standard",
        required=False,
        help_text="Fast renders in about 4 steps with the server's few-step model; a little "
        "less detail, a fraction of the time and credits.",
    )
    circle = forms.BooleanField(required=False, label="Also make circle avatars")
    control_image = forms.FileField(
        required=False,
        label="Control image",
        help_text="PNG, JPEG or WebP; at most 8 MB and 4096×4096 px.",
    )
    control_type = forms.ChoiceField(
        label="Control type",
        choices=[
            ("scribble", "Sketch"),
            ("lineart", "Line art"),
            ("silhouette", "Silhouette"),
            ("canny", "Edge map"),
            ("pose", "Pose (OpenPose picture)"),
        ],
        initial="scribble",
        required=False,
    )
    control_scale = forms.FloatField(
        label="Conditioning scale",
        min_value=0,
        max_value=2,
        initial=1.0,
        required=False,
        help_text="0 = no effect, 1 = as trained.",
    )

    def __init__(
        self, *args, presets=(), diffusion_configured=True, fast_available=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "Default")] + [(str(p.pk), p.name) for p in presets]
        if not diffusion_configured:
            # Offering an engine the server cannot run only produces an error after submit.
            self.fields["engine"].choices = [
                c for c in self.fields["engine"].choices if c[0] != "diffusers"
            ]
            self.fields["engine"].help_text = "No diffusion model on this server: vector only."
        if not fast_available:
            del self.fields["speed"]


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        help_text="We POST signed JSON here (Standard Webhooks). A public https URL.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in WEBHOOK_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every event.",
    )
    is_active = forms.BooleanField(required=False, label="Active", initial=True)

    def __init__(self, *args, endpoint=None, **kwargs):
        if endpoint is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": endpoint.url,
                    "description": endpoint.description,
                    "events": endpoint.events,
                    "is_active": endpoint.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        if endpoint is None:
            del self.fields["is_active"]  # a new endpoint starts active
