"""Dashboard action for the workspace's brand-kit policy (locked presets only)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from styles.services import presets
from styles.web.errors import styles_view
from styles.web.forms import BrandKitForm
from tenants.actors import Actor
from tenants.roles import Perm


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def brand_kit(request):
    form = BrandKitForm(request.POST)
    if form.is_valid():
        presets.set_locked_presets_only(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            enabled=form.cleaned_data["locked_presets_only"],
        )
        messages.success(request, _("Brand kit policy saved."))
    return redirect("preset_list")
