from django.views import i18n
from django.views.decorators.http import require_POST

from tenants.language import remember_language, supported


@require_POST
def set_language(request):
    """Django's set_language (cookie + redirect to `next`), and for a signed-in user the
    choice saved on their profile too."""
    response = i18n.set_language(request)
    code = supported(request.POST.get("language"))
    if code and request.user.is_authenticated:
        remember_language(request.user, code)
    return response
