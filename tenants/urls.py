from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import verification_views, views
from tenants.password_reset import LocalizedPasswordResetForm

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("verify-email/<str:token>/", verification_views.verify_email, name="verify_email"),
    path("verify-email-again/", verification_views.resend_verification, name="resend_verification"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=LocalizedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("workspaces/switch/", views.switch_tenant, name="switch_tenant"),
    path("workspaces/", views.workspaces, name="workspaces"),
    path("workspaces/new/", views.workspace_new, name="workspace_new"),
    path(
        "workspaces/<uuid:tenant_id>/restore/",
        views.workspace_restore,
        name="workspace_restore",
    ),
    path("settings/team/", views.team, name="team"),
    path("settings/team/invite/", views.invite, name="invite_member"),
    path(
        "settings/team/<uuid:membership_id>/role/",
        views.change_member_role,
        name="change_member_role",
    ),
    path("settings/team/<uuid:membership_id>/remove/", views.remove_member, name="remove_member"),
    path(
        "settings/invitations/<uuid:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<uuid:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("settings/api-keys/<uuid:key_id>/limits/", views.api_key_limits, name="api_key_limits"),
    path("settings/workspace/", views.workspace_settings, name="workspace_settings"),
    path("settings/workspace/rename/", views.workspace_rename, name="workspace_rename"),
    path("settings/workspace/transfer/", views.workspace_transfer, name="workspace_transfer"),
    path("settings/workspace/delete/", views.workspace_delete, name="workspace_delete"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("settings/audit.csv", views.audit_log_csv, name="audit_log_csv"),
]
