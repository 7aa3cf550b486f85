from django import forms

from tenants.models import ApiKeyScope
from tenants.roles import Role


class SignUpForm(forms.Form):
    email = forms.EmailField(help_text="You will sign in with this address.")
    password = forms.CharField(
        widget=forms.PasswordInput, min_length=8, help_text="At least 8 characters, not common."
    )
    tenant_name = forms.CharField(
        label="Workspace name", max_length=120, help_text="Usually your brand or company name."
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'support bot (prod)'.")
    scopes = forms.MultipleChoiceField(
        choices=ApiKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKeyScope.JOBS_READ, ApiKeyScope.JOBS_WRITE],
    )
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional. Leave empty for a key that never expires.",
    )
