from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from core.vocabulary import ALLOWED_SIZES, ENGINE_NAMES
from tenants.key_limits import KeyLimits
from tenants.models import ApiKeyScope
from tenants.roles import Role


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("Email"), help_text=_("You will sign in with this address."))
    password = forms.CharField(
        widget=forms.PasswordInput,
        min_length=8,
        label=_("Password"),
        help_text=_("At least 8 characters, not common."),
    )
    tenant_name = forms.CharField(
        label=_("Workspace name"),
        max_length=120,
        help_text=_("Usually your brand or company name."),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label=_("Role"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, label=_("Name"), help_text=_("What will use it, e.g. 'support bot (prod)'.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKeyScope.JOBS_READ, ApiKeyScope.JOBS_WRITE],
    )
    expires_at = forms.DateTimeField(
        required=False,
        label=_("Expires at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Optional. Leave empty for a key that never expires."),
    )


class KeyLimitsForm(forms.Form):
    """What one key may ask for; empty = unrestricted. Validated by tenants.key_limits."""

    allowed_presets = forms.MultipleChoiceField(
        required=False,
        label=_("Brand lock: style presets"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick presets to lock the key to them. None ticked: any preset."),
    )
    allowed_engines = forms.MultipleChoiceField(
        required=False,
        label=_("Engines"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any engine."),
    )
    max_n = forms.IntegerField(required=False, min_value=1, label=_("Most candidates per job"))
    max_size = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Largest size (px)")
    )
    monthly_quota = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Jobs per month"),
        help_text=_("Resets on the 1st (UTC)."),
    )
    requests_per_minute = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Requests per minute"),
        help_text=_("Capped by your plan's limit."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        presets = apps.get_model("styles", "StylePreset").objects.available_to(tenant)
        self.fields["allowed_presets"].choices = [(str(p.pk), p.name) for p in presets]
        self.fields["allowed_engines"].choices = [(e, e) for e in ENGINE_NAMES]
        self.fields["max_size"].choices = [("", _("any"))] + [(s, f"{s} px") for s in ALLOWED_SIZES]

    def limits(self) -> KeyLimits:
        data = self.cleaned_data
        return KeyLimits(
            allowed_presets=list(data.get("allowed_presets") or []),
            allowed_engines=list(data.get("allowed_engines") or []),
            max_n=data.get("max_n"),
            max_size=data.get("max_size"),
            monthly_quota=data.get("monthly_quota"),
            requests_per_minute=data.get("requests_per_minute"),
        )
