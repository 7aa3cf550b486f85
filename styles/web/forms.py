"""Dashboard forms. Shape only: the services validate meaning and name the field at fault."""

import json

from django import forms

from core.vocabulary import DEFAULT_STATE_PACK_STATES, SCHEDULER_NAMES, STATE_PACK_STATES
from styles.models import StylePreset
from styles.services.finetunes import HYPERPARAMETERS

SIZES = [(s, f"{s} px") for s in (64, 128, 256, 512, 768, 1024)]


class JSONText(forms.CharField):
    """A JSON object typed into a textarea."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value or {}, indent=1)

    def clean(self, value):
        value = super().clean(value)
        if not value.strip():
            return {}
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError('Enter a JSON object, e.g. {"style": "cartoon"}.')
        return parsed


class PresetForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(max_length=240, required=False)
    prompt_template = forms.CharField(
        max_length=500, help_text="Must contain {subject}; {style} is optional."
    )
    negative_prompt = forms.CharField(max_length=500, required=False)
    trigger_word = forms.CharField(max_length=40, required=False)
    palette = forms.CharField(
        required=False, help_text="Brand colours, comma-separated: #1e40af, #f59e0b"
    )
    default_attributes = JSONText(help_text='e.g. {"style": "cartoon", "colors": ["blue"]}')
    engine = forms.ChoiceField(choices=StylePreset.Engine.choices)
    scheduler = forms.ChoiceField(choices=[(s, s) for s in SCHEDULER_NAMES], label="Sampler")
    steps = forms.IntegerField(min_value=1, max_value=100)
    guidance_scale = forms.FloatField(min_value=0, max_value=30, label="Guidance (CFG)")
    size = forms.TypedChoiceField(coerce=int, choices=SIZES)
    adapter_strength = forms.FloatField(min_value=0, max_value=2, label="LoRA strength")
    brand_weight = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label="Brand weight",
        help_text="0–1: how much the likeness to the reference images counts in the ranking "
        "against the match to the description. Empty: the server default.",
    )
    state_pack_states = forms.CharField(
        required=False,
        label="State pack states",
        help_text="Comma-separated, in order, from: "
        + ", ".join(STATE_PACK_STATES)
        + ". Empty: "
        + ", ".join(DEFAULT_STATE_PACK_STATES)
        + ".",
    )
    palette_weight = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label="Palette weight",
        help_text="0–1: how much closeness to the palette (CIEDE2000) counts in the ranking. "
        "Empty: shown, not ranked on.",
    )
    palette_recolor = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label="State pack recolour",
        help_text="0–1: soft recolour of state pack images toward the palette (0: off).",
    )
    is_locked = forms.BooleanField(required=False, label="Brand kit lock")
    lock_rules = JSONText(
        help_text='Allowed ranges, e.g. {"steps": {"min": 20, "max": 30}, '
        '"attributes": {"colors": ["blue"]}}'
    )

    def clean_state_pack_states(self):
        raw = self.cleaned_data["state_pack_states"]
        return [c.strip() for c in raw.split(",") if c.strip()]

    def clean_palette_recolor(self):
        return self.cleaned_data["palette_recolor"] or 0.0

    def clean_palette(self):
        raw = self.cleaned_data["palette"]
        return [c.strip() for c in raw.split(",") if c.strip()]

    @classmethod
    def initial_for(cls, preset: StylePreset) -> dict:
        initial = {name: getattr(preset, name) for name in cls.base_fields}
        initial["palette"] = ", ".join(preset.palette or [])
        initial["state_pack_states"] = ", ".join(preset.state_pack_states or [])
        return initial


class ReferenceImageForm(forms.Form):
    file = forms.ImageField(label="Reference image", help_text="PNG, JPEG or WebP.")


class ControlImageForm(forms.Form):
    file = forms.ImageField(
        label="Control image", help_text="PNG, JPEG or WebP; at most 8 MB and 4096×4096 px."
    )
    control_type = forms.ChoiceField(
        label="Control type",
        choices=[
            ("silhouette", "Silhouette (the subject's outline, filled)"),
            ("lineart", "Line art"),
            ("scribble", "Sketch"),
            ("canny", "Edge map"),
            ("pose", "Pose (an OpenPose skeleton picture)"),
        ],
    )
    conditioning_scale = forms.FloatField(
        label="Conditioning scale",
        min_value=0,
        max_value=2,
        initial=1.0,
        help_text="0 = no effect, 1 = as trained, up to 2.",
    )
    preprocess = forms.BooleanField(
        required=False,
        initial=True,
        label="Derive the map from the picture",
        help_text="Untick when the picture already is a map (white strokes on black).",
    )


class BrandKitForm(forms.Form):
    locked_presets_only = forms.BooleanField(
        required=False, label="API keys and members may only use locked presets"
    )


class DatasetForm(forms.Form):
    name = forms.CharField(max_length=100)
    trigger_word = forms.CharField(
        max_length=40, required=False, help_text="The token the LoRA learns, e.g. acmebot."
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented recipe: one field, many files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp,.txt,.zip"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Images, caption .txt files or zips",
        help_text="Select many files at once (up to 1000) or a zip.",
    )


class FineTuneForm(forms.Form):
    name = forms.CharField(max_length=100)
    dataset = forms.ChoiceField()
    trigger_word = forms.CharField(
        max_length=40, required=False, help_text="Defaults to the dataset's."
    )
    preset = forms.ChoiceField(required=False, help_text="Optional preset it is meant for.")
    rank = forms.IntegerField(initial=HYPERPARAMETERS["rank"].default, label="LoRA rank")
    alpha = forms.IntegerField(initial=HYPERPARAMETERS["alpha"].default, label="LoRA alpha")
    steps = forms.IntegerField(required=False)
    learning_rate = forms.FloatField(initial=HYPERPARAMETERS["learning_rate"].default)
    resolution = forms.IntegerField(initial=HYPERPARAMETERS["resolution"].default)
    batch_size = forms.IntegerField(initial=HYPERPARAMETERS["batch_size"].default)
    train_text_encoder = forms.BooleanField(required=False, label="Also train the text encoder")
    gradient_checkpointing = forms.BooleanField(
        required=False, label="Gradient checkpointing (less memory, slower)"
    )

    def __init__(self, *args, datasets=(), presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(str(d.pk), d.name) for d in datasets]
        self.fields["preset"].choices = [("", "None")] + [(str(p.pk), p.name) for p in presets]
        for name, rng in HYPERPARAMETERS.items():
            if name in self.fields:
                self.fields[name].help_text = f"{rng.low:g}–{rng.high:g}"
        self.fields["steps"].help_text += "; leave blank to derive them from the dataset size"


class AdapterChoiceForm(forms.Form):
    adapter = forms.ChoiceField(label="Adapter version")
    strength = forms.FloatField(min_value=0, max_value=2, initial=1.0, label="Strength")

    def __init__(self, *args, adapters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adapter"].choices = [(str(a.pk), str(a)) for a in adapters]
