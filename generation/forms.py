from django import forms

from generation.jobs import ALLOWED_SIZES, MAX_N

EXAMPLE = "a friendly blue robot with round glasses / 一个戴圆眼镜的蓝色机器人"


class GenerateForm(forms.Form):
    description = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": EXAMPLE,
            }
        ),
        help_text="Describe the bot in English or Chinese: who, mood, colours, accessories.",
    )
    preset = forms.ChoiceField(
        required=False, help_text="A brand style; leave empty for the default."
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
    )
    size = forms.TypedChoiceField(
        coerce=int,
        required=False,
        choices=[("", "Preset default")] + [(s, f"{s} px") for s in ALLOWED_SIZES],
    )
    steps = forms.IntegerField(required=False, min_value=1, max_value=100)
    circle = forms.BooleanField(required=False, label="Also make circle avatars")

    def __init__(self, *args, presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "Default")] + [(str(p.pk), p.name) for p in presets]
