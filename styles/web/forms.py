"""Dashboard forms. Shape only: the services validate meaning and name the field at fault."""

import json

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.model_settings import offered_schedulers
from core.vocabulary import DEFAULT_STATE_PACK_STATES, STATE_PACK_STATES
from styles.models import StylePreset
from styles.services.finetunes import HYPERPARAMETERS

SIZES = [(s, f"{s} px") for s in (64, 128, 256, 512, 768, 1024)]


def _state_pack_help_text() -> str:
    # Translated when shown (not at import), in the reader's language.
    return gettext("Comma-separated, in order, from: %(states)s. Empty: %(default)s.") % {
        "states": ", ".join(STATE_PACK_STATES),
        "default": ", ".join(DEFAULT_STATE_PACK_STATES),
    }


def _sampler_choices() -> list[tuple[str, str]]:
    # Evaluated per form: LCM's sampler is offered only where the model is LCM-distilled.
    return [(s, s) for s in offered_schedulers()]


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
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s (line %(line)s).")
                % {"error": exc.msg, "line": exc.lineno}
            ) from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_('Enter a JSON object, e.g. {"style": "cartoon"}.'))
        return parsed


class PresetForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name"))
    description = forms.CharField(max_length=240, required=False, label=_("Description"))
    prompt_template = forms.CharField(
        max_length=500,
        label=_("Prompt template"),
        help_text=_("Must contain {subject}; {style} is optional."),
    )
    negative_prompt = forms.CharField(max_length=500, required=False, label=_("Negative prompt"))
    trigger_word = forms.CharField(max_length=40, required=False, label=_("Trigger word"))
    palette = forms.CharField(
        required=False,
        label=_("Palette"),
        help_text=_("Brand colours, comma-separated: #1e40af, #f59e0b"),
    )
    default_attributes = JSONText(
        label=_("Default attributes"),
        help_text=_('e.g. {"style": "cartoon", "colors": ["blue"]}'),
    )
    engine = forms.ChoiceField(choices=StylePreset.Engine.choices, label=_("Engine"))
    scheduler = forms.ChoiceField(choices=_sampler_choices, label=_("Sampler"))
    steps = forms.IntegerField(min_value=1, max_value=100, label=_("Steps"))
    guidance_scale = forms.FloatField(min_value=0, max_value=30, label=_("Guidance (CFG)"))
    size = forms.TypedChoiceField(coerce=int, choices=SIZES, label=_("Size"))
    adapter_strength = forms.FloatField(min_value=0, max_value=2, label=_("LoRA strength"))
    brand_weight = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label=_("Brand weight"),
        help_text=_(
            "0–1: how much the likeness to the reference images counts in the ranking "
            "against the match to the description. Empty: the server default."
        ),
    )
    state_pack_states = forms.CharField(
        required=False,
        label=_("State pack states"),
        help_text=lazy(_state_pack_help_text, str)(),
    )
    palette_weight = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label=_("Palette weight"),
        help_text=_(
            "0–1: how much closeness to the palette (CIEDE2000) counts in the ranking. "
            "Empty: shown, not ranked on."
        ),
    )
    palette_recolor = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        label=_("State pack recolour"),
        help_text=_("0–1: soft recolour of state pack images toward the palette (0: off)."),
    )
    is_locked = forms.BooleanField(required=False, label=_("Brand kit lock"))
    lock_rules = JSONText(
        label=_("Lock rules"),
        help_text=_(
            'Allowed ranges, e.g. {"steps": {"min": 20, "max": 30}, '
            '"attributes": {"colors": ["blue"]}}'
        ),
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
    file = forms.ImageField(label=_("Reference image"), help_text=_("PNG, JPEG or WebP."))


class ControlImageForm(forms.Form):
    file = forms.ImageField(
        label=_("Control image"), help_text=_("PNG, JPEG or WebP; at most 8 MB and 4096×4096 px.")
    )
    control_type = forms.ChoiceField(
        label=_("Control type"),
        choices=[
            ("silhouette", _("Silhouette (the subject's outline, filled)")),
            ("lineart", _("Line art")),
            ("scribble", _("Sketch")),
            ("canny", _("Edge map")),
            ("pose", _("Pose (an OpenPose skeleton picture)")),
        ],
    )
    conditioning_scale = forms.FloatField(
        label=_("Conditioning scale"),
        min_value=0,
        max_value=2,
        initial=1.0,
        help_text=_("0 = no effect, 1 = as trained, up to 2."),
    )
    preprocess = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Derive the map from the picture"),
        help_text=_("Untick when the picture already is a map (white strokes on black)."),
    )


class BrandKitForm(forms.Form):
    locked_presets_only = forms.BooleanField(
        required=False, label=_("API keys and members may only use locked presets")
    )


class DatasetForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    trigger_word = forms.CharField(
        max_length=40,
        required=False,
        label=_("Trigger word"),
        help_text=_("The token the LoRA learns, e.g. acmebot."),
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
        label=_("Images, caption .txt files or zips"),
        help_text=_("Select many files at once (up to 1000) or a zip."),
    )


class AdapterImportForm(forms.Form):
    file = forms.FileField(
        label=_("LoRA file (.safetensors)"),
        help_text=_("kohya/A1111 or diffusers format, for this workspace's base model."),
        widget=forms.ClearableFileInput(attrs={"accept": ".safetensors"}),
    )
    name = forms.CharField(
        max_length=100, required=False, label=_("Name"), help_text=_("Default: the file name.")
    )
    trigger_word = forms.CharField(
        max_length=40,
        required=False,
        label=_("Trigger word"),
        help_text=_("The word its training captions used."),
    )


class FineTuneForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    dataset = forms.ChoiceField(label=_("Dataset"))
    trigger_word = forms.CharField(
        max_length=40,
        required=False,
        label=_("Trigger word"),
        help_text=_("Defaults to the dataset's."),
    )
    preset = forms.ChoiceField(
        required=False, label=_("Preset"), help_text=_("Optional preset it is meant for.")
    )
    rank = forms.IntegerField(initial=HYPERPARAMETERS["rank"].default, label=_("LoRA rank"))
    alpha = forms.IntegerField(initial=HYPERPARAMETERS["alpha"].default, label=_("LoRA alpha"))
    steps = forms.IntegerField(required=False, label=_("Steps"))
    learning_rate = forms.FloatField(
        initial=HYPERPARAMETERS["learning_rate"].default, label=_("Learning rate")
    )
    resolution = forms.IntegerField(
        initial=HYPERPARAMETERS["resolution"].default, label=_("Resolution")
    )
    batch_size = forms.IntegerField(
        initial=HYPERPARAMETERS["batch_size"].default, label=_("Batch size")
    )
    train_text_encoder = forms.BooleanField(required=False, label=_("Also train the text encoder"))
    gradient_checkpointing = forms.BooleanField(
        required=False, label=_("Gradient checkpointing (less memory, slower)")
    )

    def __init__(self, *args, datasets=(), presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(str(d.pk), d.name) for d in datasets]
        self.fields["preset"].choices = [("", _("None"))] + [(str(p.pk), p.name) for p in presets]
        for name, rng in HYPERPARAMETERS.items():
            if name in self.fields:
                self.fields[name].help_text = f"{rng.low:g}–{rng.high:g}"
        self.fields["steps"].help_text = _(
            "%(range)s; leave blank to derive them from the dataset size"
        ) % {"range": self.fields["steps"].help_text}


class AdapterChoiceForm(forms.Form):
    adapter = forms.ChoiceField(label=_("Adapter version"))
    strength = forms.FloatField(min_value=0, max_value=2, initial=1.0, label=_("Strength"))

    def __init__(self, *args, adapters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adapter"].choices = [(str(a.pk), str(a)) for a in adapters]
