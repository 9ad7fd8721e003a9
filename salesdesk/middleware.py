from django.utils.cache import add_never_cache_headers


class ChineseFirstMiddleware:
    """The interface is Chinese unless the user chose another language (the language cookie):
    the browser's Accept-Language is not consulted, so a clerk's English-language browser still
    gets the department's Chinese pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (Django's never-cache headers) on every response of a view that
    shows personal data: a class-based view with `personal_data = True` (every page behind the
    policy, `salesdesk.viewmixins.PolicyMixin`), or a function marked with `personal_data`.
    Neither the browser nor a proxy keeps a copy of a customer's page once the clerk has gone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_salesdesk_personal_data", False):
            add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view = getattr(view_func, "view_class", view_func)
        request._salesdesk_personal_data = bool(getattr(view, "personal_data", False))


def personal_data(view_func):
    """Marks a function view as showing personal data (see NoStoreMiddleware)."""
    view_func.personal_data = True
    return view_func
