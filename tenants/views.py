from dataclasses import asdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from tenants import exports, selectors, services, workspace
from tenants.actors import Actor, client_ip
from tenants.forms import ApiKeyForm, InviteForm, KeyLimitsForm, RoleForm, SignUpForm
from tenants.key_limits import current_limits, set_key_limits
from tenants.middleware import SESSION_KEY
from tenants.models import ApiKey
from tenants.roles import Perm
from tenants.web import flash_domain_error, paginate, redirect_to_next, tenant_view


def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, tenant = services.sign_up(**form.cleaned_data, ip=client_ip(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = str(tenant.pk)
            messages.success(
                request,
                _(
                    "Welcome to AvatarSaaS! Your workspace %(name)s is ready. Confirm your email "
                    "address with the link we sent to %(email)s to receive your free credits."
                )
                % {"name": tenant.name, "email": user.email},
            )
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def workspaces(request):
    return render(
        request,
        "tenants/workspaces.html",
        {
            "active": selectors.memberships_of(request.user),
            "pending": workspace.pending_deletion_owned_by(request.user),
        },
    )


@login_required
@require_POST
def workspace_restore(request, tenant_id):
    try:
        tenant = workspace.restore_own_workspace(
            user=request.user, tenant_id=tenant_id, actor=Actor.from_request(request)
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    request.session[SESSION_KEY] = str(tenant.pk)
    messages.success(
        request, _("%(name)s is restored; nothing was deleted.") % {"name": tenant.name}
    )
    return redirect("dashboard")


@login_required
def workspace_new(request):
    name = request.POST.get("name", "") if request.method == "POST" else ""
    error = ""
    if request.method == "POST":
        try:
            tenant = services.create_additional_workspace(
                user=request.user, name=name, actor=Actor.from_request(request)
            )
        except DomainError as exc:
            error = exc.message
        else:
            request.session[SESSION_KEY] = str(tenant.pk)
            messages.success(
                request,
                _(
                    "Workspace %(name)s is ready. It starts with no credits: buy a pack on the "
                    "Billing page."
                )
                % {"name": tenant.name},
            )
            return redirect("dashboard")
    return render(request, "tenants/workspace_new.html", {"name": name, "error": error})


@login_required
@require_POST
def switch_tenant(request):
    wanted = request.POST.get("tenant_id", "")
    if (
        not selectors.tenants_of(request.user)
        .filter(pk__in=[wanted] if _is_uuid(wanted) else [])
        .exists()
    ):
        raise Http404("No such workspace.")
    request.session[SESSION_KEY] = wanted
    return redirect_to_next(request, "dashboard")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@tenant_view(Perm.VIEW)
def team(request):
    return render(
        request,
        "tenants/team.html",
        {
            "members": selectors.members_of(request.tenant),
            "invitations": selectors.pending_invitations_of(request.tenant),
            "invite_form": InviteForm(),
            "role_form": RoleForm(),
        },
    )


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("team")
    try:
        services.invite_member(
            tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        )
    return redirect("team")


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def change_member_role(request, membership_id):
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                membership_id=membership_id,
                role=form.cleaned_data["role"],
            )
            messages.success(request, _("Role updated."))
        except NotFound:
            raise
        except DomainError as exc:
            flash_domain_error(request, exc)
    else:
        messages.error(request, _("role: choose a valid role."))
    return redirect("team")


@tenant_view(Perm.VIEW)
@require_POST
def remove_member(request, membership_id):
    try:
        services.remove_member(
            tenant=request.tenant, actor=Actor.from_request(request), membership_id=membership_id
        )
        messages.success(request, _("Member removed."))
    except NotFound:
        raise
    except DomainError as exc:
        flash_domain_error(request, exc)
    return redirect("team")


@tenant_view(Perm.MANAGE_MEMBERS)
@require_POST
def revoke_invitation(request, invitation_id):
    services.revoke_invitation(
        tenant=request.tenant, actor=Actor.from_request(request), invitation_id=invitation_id
    )
    messages.success(request, _("Invitation revoked."))
    return redirect("team")


def accept_invitation(request, token):
    try:
        invitation = services.find_invitation(token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.accept_invitation(
                token=token, user=request.user, ip=client_ip(request)
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            flash_domain_error(request, exc)
        else:
            request.session[SESSION_KEY] = str(membership.tenant_id)
            messages.success(request, _("You joined %(name)s.") % {"name": membership.tenant.name})
            return redirect("dashboard")
    return render(request, "tenants/invitation.html", {"invitation": invitation})


@tenant_view(Perm.MANAGE_KEYS)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    limits_form = KeyLimitsForm(request.POST or None, tenant=request.tenant, prefix="limits")
    if request.method == "POST" and form.is_valid() and limits_form.is_valid():
        try:
            key, plaintext = services.create_api_key(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                limits=limits_form.limits(),
                **form.cleaned_data,
            )
        except DomainError as exc:
            target = limits_form if exc.field in limits_form.fields else form
            target.add_error(exc.field if exc.field in target.fields else None, exc.message)
        else:
            # Rendered once, never stored: the response is the only place the secret exists.
            response = render(
                request, "tenants/api_key_created.html", {"key": key, "plaintext": plaintext}
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "tenants/api_keys.html",
        {
            "form": form,
            "limits_form": limits_form,
            "keys": paginate(request, selectors.api_keys_of(request.tenant)),
        },
    )


@tenant_view(Perm.MANAGE_KEYS)
def api_key_limits(request, key_id):
    key = get_object_or_404(ApiKey.objects.for_tenant(request.tenant), pk=key_id)
    initial = asdict(current_limits(key))
    form = KeyLimitsForm(request.POST or None, tenant=request.tenant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            set_key_limits(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                key=key,
                limits=form.limits(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Limits of %(name)s saved; they apply from the next request.")
                % {"name": key.name},
            )
            return redirect("api_keys")
    return render(request, "tenants/api_key_limits.html", {"key": key, "form": form})


@tenant_view(Perm.MANAGE_KEYS)
@require_POST
def revoke_api_key(request, key_id):
    key = services.revoke_api_key(
        tenant=request.tenant, actor=Actor.from_request(request), key_id=key_id
    )
    messages.success(
        request,
        _("Key %(name)s revoked; requests using it are now rejected.") % {"name": key.name},
    )
    return redirect("api_keys")


@tenant_view(Perm.MANAGE_TENANT)
def workspace_settings(request):
    others = selectors.members_of(request.tenant).exclude(user=request.user)
    return render(
        request,
        "tenants/workspace.html",
        {"others": others, "grace_days": settings.AVATARSAAS_DELETION_GRACE_DAYS},
    )


@tenant_view(Perm.MANAGE_TENANT)
@require_POST
def workspace_rename(request):
    try:
        workspace.rename_workspace(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            name=request.POST.get("name", ""),
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, _("Workspace renamed."))
    return redirect("workspace_settings")


@tenant_view(Perm.MANAGE_TENANT)
@require_POST
def workspace_transfer(request):
    try:
        target = workspace.transfer_ownership(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            membership_id=request.POST.get("member", ""),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("workspace_settings")
    messages.success(
        request,
        _("%(email)s now owns the workspace; you are an admin.") % {"email": target.user.email},
    )
    return redirect("team")


@tenant_view(Perm.MANAGE_TENANT)
@require_POST
def workspace_delete(request):
    name = request.tenant.name
    try:
        purge_at = workspace.schedule_deletion(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            confirm_slug=request.POST.get("confirm_slug", ""),
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
        return redirect("workspace_settings")
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _(
            "%(name)s is deleted: suspended now, erased on %(date)s. "
            "You can restore it until then under Your workspaces."
        )
        % {"name": name, "date": date_format(purge_at, "DATE_FORMAT")},
    )
    return redirect("workspaces")


@tenant_view(Perm.MANAGE_MEMBERS)
def audit_log_csv(request):
    return exports.audit_csv(request.tenant, selectors.AuditFilters.from_query(request.GET))


@tenant_view(Perm.MANAGE_MEMBERS)
def audit_log(request):
    filters = selectors.AuditFilters.from_query(request.GET)
    events = selectors.filtered_audit_events(request.tenant, filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tenants/audit.html",
        {
            "events": paginate(request, events, 50),
            "filters": filters,
            "areas": selectors.audit_areas(request.tenant),
            "query": query.urlencode(),
            "filtered": any((filters.area, filters.since, filters.until)),
        },
    )
