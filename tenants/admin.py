from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from core.errors import DomainError
from tenants import credits, workspace
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing.services import refund_credit_purchase
from tenants.models import (
    ApiKey,
    AuditEvent,
    CreditEntry,
    CreditPack,
    CreditPurchase,
    CreditReservation,
    EmailVerification,
    Invitation,
    Membership,
    Plan,
    StripeEvent,
    StripeSubscription,
    Tenant,
)


class CreditAdjustmentForm(ActionForm):
    amount = forms.IntegerField(required=False, help_text="Credits to add (negative to take).")
    reason = forms.CharField(required=False, max_length=200)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "name",
        "signup_credits",
        "monthly_credits",
        "monthly_price_cents",
        "max_concurrent_jobs",
        "requests_per_minute",
        "finetunes_per_month",
        "is_public",
    ]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "plan",
        "credit_balance",
        "is_active",
        "deletion_scheduled_at",
        "created_at",
    ]
    list_filter = ["plan", "is_active"]
    search_fields = ["name", "slug", "stripe_customer_id"]
    readonly_fields = [
        "id",
        "credit_balance",
        "queued_jobs",
        "running_jobs",
        "job_cap",
        "last_served_at",
        "deletion_scheduled_at",
        "created_at",
    ]
    inlines = [MembershipInline]
    action_form = CreditAdjustmentForm
    actions = ["adjust_credits", "suspend", "reactivate"]

    # Django lists (and accepts) an action only for users its has_<name>_permission admits.
    def has_adjust_credits_permission(self, request):
        return request.user.has_perm("tenants.adjust_credits")

    def has_suspend_tenant_permission(self, request):
        return request.user.has_perm("tenants.suspend_tenant")

    def get_readonly_fields(self, request, obj=None):
        # The change form's is_active box is a suspension too.
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_suspend_tenant_permission(request):
            fields.append("is_active")
        return fields

    @admin.action(
        description="Adjust credits through the ledger (amount + reason above)",
        permissions=["adjust_credits"],
    )
    def adjust_credits(self, request, queryset):
        amount = request.POST.get("amount")
        reason = (request.POST.get("reason") or "").strip()
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            self.message_user(request, "amount: enter a whole number.", messages.ERROR)
            return
        if not reason:
            self.message_user(request, "reason: say why credits are adjusted.", messages.ERROR)
            return
        actor = Actor.from_request(request)
        for tenant in queryset:
            try:
                credits.grant_credits(
                    tenant=tenant,
                    amount=amount,
                    kind=CreditEntry.Kind.ADJUSTMENT,
                    reason=reason,
                    reference=f"staff:{request.user.pk}",
                    actor=actor,
                )
            except DomainError as exc:
                self.message_user(request, f"{tenant.slug}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{tenant.slug}: {amount:+d} credits.")

    @admin.action(
        description="Suspend (API keys and logins stop working)", permissions=["suspend_tenant"]
    )
    def suspend(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(
        description="Reactivate (also cancels a scheduled deletion)",
        permissions=["suspend_tenant"],
    )
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, True)

    def _set_active(self, request, queryset, active: bool):
        actor = Actor.from_request(request)
        for tenant in queryset:
            if active:  # also undoes an owner's deletion during its grace period
                workspace.cancel_deletion(tenant=tenant, actor=actor)
                continue
            tenant.is_active = False
            tenant.save(update_fields=["is_active"])
            record_event(
                tenant=tenant, actor=actor, action="tenant.suspended_by_staff", target=tenant
            )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "tenant__slug"]
    raw_id_fields = ["user", "tenant"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "status", "expires_at", "created_at"]
    search_fields = ["email", "tenant__slug"]
    exclude = ["token_hash"]
    readonly_fields = ["accepted_at", "accepted_by", "invited_by"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "prefix", "status", "last_used_at", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "tenant__slug"]
    readonly_fields = ["prefix", "secret_hash", "last_used_at", "created_by", "created_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "tenant",
        "action",
        "actor_label",
        "target_type",
        "target_id",
        "ip",
    ]
    list_filter = ["action"]
    search_fields = ["tenant__slug", "action", "target_id"]
    date_hierarchy = "created_at"


@admin.register(EmailVerification)
class EmailVerificationAdmin(ReadOnlyAdmin):
    list_display = ["email", "user", "tenant", "verified_at", "last_sent_at", "created_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "tenant__slug"]


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "tenant",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "reason",
    ]
    list_filter = ["kind"]
    search_fields = ["tenant__slug", "reference"]


@admin.register(CreditReservation)
class CreditReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant", "reference", "amount", "state", "closed_at"]
    list_filter = ["state"]


# --- Billing -----------------------------------------------------------------------------------


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "credits", "price_cents", "currency", "is_active"]
    list_filter = ["is_active"]


@admin.register(CreditPurchase)
class CreditPurchaseAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "tenant",
        "pack",
        "credits",
        "amount_cents",
        "status",
        "stripe_payment_id",
        "credits_clawed_back",
        "credits_shortfall",
    ]
    list_filter = ["status", "pack"]
    search_fields = ["tenant__slug", "stripe_payment_id"]
    actions = ["refund_at_stripe"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_refund_purchase_permission(self, request):
        return request.user.has_perm("tenants.refund_purchase")

    @admin.action(
        description="Refund at Stripe (credits are clawed back by the webhook)",
        permissions=["refund_purchase"],
    )
    def refund_at_stripe(self, request, queryset):
        actor = Actor.from_request(request)
        for purchase in queryset:
            try:
                refund_id = refund_credit_purchase(purchase=purchase, actor=actor)
            except DomainError as exc:
                self.message_user(request, f"{purchase.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{purchase.pk}: refund {refund_id} requested.")


@admin.register(StripeSubscription)
class StripeSubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_subscription_id",
        "tenant",
        "plan",
        "status",
        "current_period_end",
        "updated_at",
    ]
    list_filter = ["status", "plan"]
    search_fields = ["stripe_subscription_id", "tenant__slug"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "id", "type", "status", "tenant", "result", "attempts"]
    list_filter = ["status", "type"]
    search_fields = ["id", "result", "tenant__slug"]
    date_hierarchy = "received_at"
