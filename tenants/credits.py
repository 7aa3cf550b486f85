"""Credits move only here, inside transactions, under a lock on the tenant row.

Reserve at submit (balance goes down), settle once on success (nothing moves; the hold becomes
final), release once on failure/cancel (balance goes back up). Grants are idempotent by key.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import InsufficientCredits, InvalidInput, NotAllowed
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import CreditEntry, CreditReservation, Plan, Tenant


def _locked_tenant(tenant_id) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant_id)


def _append(
    tenant: Tenant, *, kind: str, amount: int, reason: str, reference: str, actor: Actor, key=None
) -> CreditEntry:
    tenant.credit_balance += amount
    tenant.save(update_fields=["credit_balance"])
    return CreditEntry.objects.create(
        tenant=tenant,
        kind=kind,
        amount=amount,
        balance_after=tenant.credit_balance,
        reason=reason[:200],
        reference=reference[:120],
        idempotency_key=key,
        actor_label=actor.label,
    )


def grant_credits(
    *,
    tenant: Tenant,
    amount: int,
    kind: str = CreditEntry.Kind.GRANT,
    reason: str,
    reference: str = "",
    idempotency_key: str | None = None,
    actor: Actor,
    allow_negative: bool = False,
) -> CreditEntry | None:
    """Add (or, with a negative amount, take) credits. Returns None if the key was seen before."""
    if not isinstance(amount, int) or amount == 0:
        raise InvalidInput(
            gettext("Amount must be a non-zero whole number of credits."), field="amount"
        )
    try:
        with transaction.atomic():
            locked = _locked_tenant(tenant.pk)
            if (
                idempotency_key
                and CreditEntry.objects.filter(
                    tenant=locked, idempotency_key=idempotency_key
                ).exists()
            ):
                return None
            if amount < 0 and locked.credit_balance + amount < 0 and not allow_negative:
                raise InsufficientCredits(
                    gettext("Balance is %(credit_balance)s; cannot take %(amount)s.")
                    % {"credit_balance": locked.credit_balance, "amount": -amount},
                    field="amount",
                    extra={"balance": locked.credit_balance, "cost": -amount},
                )
            entry = _append(
                locked,
                kind=kind,
                amount=amount,
                reason=reason,
                reference=reference,
                actor=actor,
                key=idempotency_key,
            )
            record_event(
                tenant=locked,
                actor=actor,
                action=f"credits.{kind}",
                target=entry,
                metadata={"amount": amount, "reference": reference, "reason": reason},
            )
    except IntegrityError:
        # A concurrent call with the same idempotency key won the race.
        return None
    tenant.credit_balance = locked.credit_balance
    return entry


def grant_signup_credits(*, tenant: Tenant, actor: Actor) -> CreditEntry | None:
    """The plan's welcome credits, once per tenant; None if granted before (or none due)."""
    plan = Plan.objects.filter(pk=tenant.plan_id).first()
    if plan and plan.signup_credits:
        return grant_credits(
            tenant=tenant,
            amount=plan.signup_credits,
            reason=f"Welcome credits ({plan.name} plan)",
            idempotency_key="signup",
            actor=actor,
        )
    return None


def reserve_credits(*, tenant: Tenant, amount: int, reference: str, actor: Actor):
    """Hold `amount` for `reference`; idempotent per reference. Raises InsufficientCredits."""
    with transaction.atomic():
        locked = _locked_tenant(tenant.pk)
        existing = CreditReservation.objects.filter(tenant=locked, reference=reference).first()
        if existing is not None:
            return existing
        if not locked.is_active:
            # Checked under the row lock: a submit racing the owner's deletion (or a staff
            # suspension) cannot start new work after that work was canceled.
            raise NotAllowed(
                gettext("This workspace is suspended; no new work can start."),
                code="workspace_suspended",
            )
        if amount > 0:
            if locked.credit_balance < amount:
                raise InsufficientCredits(
                    gettext(
                        "Not enough credits: this costs %(amount)s, your balance is "
                        "%(credit_balance)s. Buy credits or lower the number of candidates."
                    )
                    % {"amount": amount, "credit_balance": locked.credit_balance},
                    extra={"balance": locked.credit_balance, "cost": amount},
                )
            _append(
                locked,
                kind=CreditEntry.Kind.RESERVE,
                amount=-amount,
                reason="Reserved for job",
                reference=reference,
                actor=actor,
            )
        reservation = CreditReservation.objects.create(
            tenant=locked, reference=reference, amount=amount
        )
    tenant.credit_balance = locked.credit_balance
    return reservation


# One statement takes the credits and locks the row: the balance check, the workspace check
# and the write cannot be separated by a concurrent submit. (SQLite >= 3.35 and PostgreSQL
# both support RETURNING; Django's ORM has no UPDATE ... RETURNING.)
_TAKE_SQL = (
    "UPDATE tenants_tenant SET credit_balance = credit_balance - %s"
    " WHERE id = %s AND is_active AND credit_balance >= %s RETURNING credit_balance"
)


def reserve_credits_for_new_job(*, tenant: Tenant, amount: int, reference: str, actor: Actor):
    """`reserve_credits` for a reference created in the caller's transaction (a new job's
    row): it cannot have a reservation yet, so there is nothing to look up, and the balance
    moves with one conditional UPDATE instead of lock, read, write. Same ledger rows, same
    errors; the (tenant, reference) unique constraint still refuses a second hold."""
    if not transaction.get_connection().in_atomic_block:  # the hold commits with the job
        raise RuntimeError("reserve_credits_for_new_job must run inside the job's transaction")
    if amount <= 0:
        return reserve_credits(tenant=tenant, amount=amount, reference=reference, actor=actor)
    connection = transaction.get_connection()
    tenant_id = Tenant._meta.pk.get_db_prep_value(tenant.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SQL, [amount, tenant_id, amount])
        row = cursor.fetchone()
    if row is None:
        _refuse(tenant, amount)
    tenant.credit_balance = row[0]
    CreditEntry.objects.create(
        tenant=tenant,
        kind=CreditEntry.Kind.RESERVE,
        amount=-amount,
        balance_after=row[0],
        reason="Reserved for job",
        reference=reference[:120],
        actor_label=actor.label,
    )
    return CreditReservation.objects.create(tenant=tenant, reference=reference, amount=amount)


def _refuse(tenant: Tenant, amount: int):
    locked = _locked_tenant(tenant.pk)
    if not locked.is_active:
        raise NotAllowed(
            gettext("This workspace is suspended; no new work can start."),
            code="workspace_suspended",
        )
    raise InsufficientCredits(
        gettext(
            "Not enough credits: this costs %(amount)s, your balance is "
            "%(credit_balance)s. Buy credits or lower the number of candidates."
        )
        % {"amount": amount, "credit_balance": locked.credit_balance},
        extra={"balance": locked.credit_balance, "cost": amount},
    )


def _close(*, tenant: Tenant, reference: str, state: str, actor: Actor) -> bool:
    with transaction.atomic():
        locked = _locked_tenant(tenant.pk)
        reservation = (
            CreditReservation.objects.select_for_update()
            .filter(tenant=locked, reference=reference)
            .first()
        )
        if reservation is None or reservation.state != CreditReservation.State.HELD:
            return False  # already settled/released: exactly-once
        if state == CreditReservation.State.RELEASED and reservation.amount:
            _append(
                locked,
                kind=CreditEntry.Kind.RELEASE,
                amount=reservation.amount,
                reason="Released: job did not complete",
                reference=reference,
                actor=actor,
            )
        reservation.state = state
        reservation.closed_at = timezone.now()
        reservation.save(update_fields=["state", "closed_at"])
    tenant.credit_balance = locked.credit_balance
    return True


def settle_credits(*, tenant: Tenant, reference: str, actor: Actor) -> bool:
    return _close(tenant=tenant, reference=reference, state="settled", actor=actor)


def release_credits(*, tenant: Tenant, reference: str, actor: Actor) -> bool:
    return _close(tenant=tenant, reference=reference, state="released", actor=actor)


def ledger_sum(tenant: Tenant) -> int:
    return CreditEntry.objects.filter(tenant=tenant).aggregate(s=Sum("amount"))["s"] or 0
