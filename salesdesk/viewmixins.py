"""View helpers that put the one access policy in front of every page."""

from decimal import InvalidOperation

from django.contrib import messages
from django.db import DataError, IntegrityError
from django.utils.translation import gettext as _
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from salesdesk.access import require, visible
from salesdesk.errors import DomainError
from salesdesk.pagination import Window


class PolicyMixin(LoginRequiredMixin):
    """`permission = (action, target)`; the target is a category name, or None for the object
    the view works on (then `get_object` asks the policy with the object itself).

    Every page behind the policy shows the department's records (names, numbers, addresses), so
    its responses are never stored by a browser or a proxy (`salesdesk.middleware.NoStoreMiddleware`)."""

    permission = None
    personal_data = True

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        action, target = self.permission
        if target is not None or not hasattr(self, "get_policy_object"):
            require(request.user, action, target)
        else:
            self.object = self.get_policy_object()
            require(request.user, action, self.object)
        return super().dispatch(request, *args, **kwargs)


class ObjectPolicyMixin(PolicyMixin):
    """For views on one record: 404 if it does not exist, 403 if the policy refuses it."""

    model = None
    queryset = None

    def get_policy_object(self):
        queryset = self.queryset if self.queryset is not None else self.model._default_manager.all()
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def get_object(self, queryset=None):
        return self.object


class FilteredListView(PolicyMixin, TemplateView):
    """A django-filter list with the policy's row filter, sorting by its columns and pages.

    `sortable` allows the columns a clerk may sort by: {query value: model field}, e.g.
    {"name": "name", "region": "region__name"}; `?sort=name` or `?sort=-name`, the id breaking
    ties so the order is stable. Anything else keeps the model's order."""

    filterset_class = None
    category = None
    queryset = None
    sortable = {}

    def get_queryset(self):
        return visible(self.request.user, self.queryset.all(), self.category)

    def filtered(self):
        filterset = self.filterset_class(self.request.GET or None, queryset=self.get_queryset(), request=self.request)
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        return filterset, sort_by(rows, self.request.GET.get("sort", ""), self.sortable)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset, rows = self.filtered()
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filter=filterset, page=Window(rows, self.request), query=query.urlencode(),
                       sort=self.request.GET.get("sort", ""), sortable=self.sortable)
        return context


def sort_by(rows, key, sortable):
    """`rows` in the order `key` asks for ("name", "-name"), if `sortable` allows it. The id breaks
    ties the opposite way, so that one (field, -id) index serves both directions."""
    field = sortable.get(key.lstrip("-")) if key else None
    if field is None:
        return rows
    if key.startswith("-"):
        return rows.order_by(f"-{field}", "pk")
    return rows.order_by(field, "-pk")


def run_service(request, form, action, success_message=None):
    """Call a service; a refused action becomes a form error (nothing saved), never a 500."""
    try:
        result = action()
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    except IntegrityError:  # a rule the database keeps, broken by a request that raced this one
        form.add_error(None, _("This conflicts with a record saved a moment ago. Nothing was saved; reload and check."))
        return None
    except (DataError, InvalidOperation):  # a value the column cannot hold, past every check before it
        form.add_error(None, _("A number, date or text is too large for the archive. Nothing was saved; check the values."))
        return None
    if success_message:
        messages.success(request, success_message)
    return result or True
