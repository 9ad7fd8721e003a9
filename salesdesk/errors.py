from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business action was refused; the message is for the person who asked."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConflictError(DomainError):
    """Somebody else saved the record first (optimistic lock)."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "Someone else saved this record while you were editing it. Your changes were not saved: "
                "reload the page to see their version, then make your changes again."
            )
        )
