class ChineseFirstMiddleware:
    """The interface is Chinese unless the user chose another language (the language cookie):
    the browser's Accept-Language is not consulted, so a clerk's English-language browser still
    gets the department's Chinese pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
