from django import forms
from django.utils.translation import gettext_lazy as _

from core.vocabulary import ALLOWED_SIZES, MAX_N
from generation.models.webhooks import WEBHOOK_EVENTS

EXAMPLE = "a friendly blue robot with round glasses / 一个戴圆眼镜的蓝色机器人"
ENGINES = ("auto", "vector", "diffusers")


class GenerateForm(forms.Form):
    description = forms.CharField(
        label=_("Describe your bot"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": EXAMPLE}),
        help_text=_("Describe the bot in English or Chinese: who, mood, colours, accessories."),
    )
    preset = forms.ChoiceField(
        required=False,
        label=_("Style preset"),
        widget=forms.RadioSelect,
        help_text=_("A brand style; “Default” uses the house style."),
    )
    n = forms.IntegerField(
        label=_("Candidates"),
        min_value=1,
        max_value=MAX_N,
        initial=4,
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_("Optional. The same seed and settings give the same avatars."),
    )
    engine = forms.ChoiceField(
        label=_("Engine"),
        choices=[
            ("auto", _("Automatic")),
            ("vector", _("Vector (weight-free)")),
            ("diffusers", _("Stable Diffusion")),
        ],
        initial="auto",
        help_text=_("Automatic uses Stable Diffusion when the server has a model."),
    )
    size = forms.TypedChoiceField(
        label=_("Size"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("Preset default"))] + [(s, f"{s} px") for s in ALLOWED_SIZES],
    )
    steps = forms.IntegerField(
        label=_("Steps"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Diffusion steps; empty uses the preset's."),
    )
    speed = forms.ChoiceField(
        label=_("Speed"),
        choices=[("standard", _("Standard")), ("fast", _("Fast (few steps, cheaper)"))],
        initial="standard",
        required=False,
        help_text=_(
            "Fast renders in about 4 steps with the server's few-step model; a little less "
            "detail, a fraction of the time and credits."
        ),
    )
    circle = forms.BooleanField(required=False, label=_("Also make circle avatars"))
    control_image = forms.FileField(
        required=False,
        label=_("Control image"),
        help_text=_("PNG, JPEG or WebP; at most 8 MB and 4096×4096 px."),
    )
    control_type = forms.ChoiceField(
        label=_("Control type"),
        choices=[
            ("scribble", _("Sketch")),
            ("lineart", _("Line art")),
            ("silhouette", _("Silhouette")),
            ("canny", _("Edge map")),
            ("pose", _("Pose (OpenPose picture)")),
        ],
        initial="scribble",
        required=False,
    )
    control_scale = forms.FloatField(
        label=_("Conditioning scale"),
        min_value=0,
        max_value=2,
        initial=1.0,
        required=False,
        help_text=_("0 = no effect, 1 = as trained."),
    )

    def __init__(
        self, *args, presets=(), diffusion_configured=True, fast_available=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        # Formatted per form, in the request's language (at import it would be frozen).
        self.fields["n"].help_text = _("How many to render and rank (1–%(max)s).") % {"max": MAX_N}
        self.fields["preset"].choices = [("", _("Default"))] + [
            (str(p.pk), p.name) for p in presets
        ]
        if not diffusion_configured:
            # Offering an engine the server cannot run only produces an error after submit.
            self.fields["engine"].choices = [
                c for c in self.fields["engine"].choices if c[0] != "diffusers"
            ]
            self.fields["engine"].help_text = _("No diffusion model on this server: vector only.")
        if not fast_available:
            del self.fields["speed"]


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("We POST signed JSON here (Standard Webhooks). A public https URL."),
    )
    description = forms.CharField(max_length=200, required=False, label=_("Description"))
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e, e) for e in WEBHOOK_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to receive every event."),
    )
    is_active = forms.BooleanField(required=False, label=_("Active"), initial=True)

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
