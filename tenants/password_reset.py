from django.contrib.auth.forms import PasswordResetForm

from tenants.language import in_language_of


class LocalizedPasswordResetForm(PasswordResetForm):
    """The reset email speaks the account holder's language, not the requester's browser's."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with in_language_of(context.get("user")):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
