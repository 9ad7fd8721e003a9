from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from salesdesk import lockouts, outbox, quick_search, registry, services
from salesdesk.access import can
from salesdesk.errors import DomainError
from salesdesk.filters import AuditFilter, OutboxFilter
from salesdesk.forms import AccessRequestForm, DecisionForm, PasswordChangeForm, StaffProfileForm, UnlockForm
from salesdesk.models import AccessRequest, AuditEntry, OutboxMessage, StaffProfile
from salesdesk.pagination import Window
from salesdesk.viewmixins import FilteredListView, ObjectPolicyMixin, PolicyMixin, run_service


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class DashboardView(PolicyMixin, TemplateView):
    permission = ("dashboard", None)
    template_name = "salesdesk/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["panels"] = [
            (panel.template, data) for panel in registry.panels() if (data := panel.context(user)) is not None
        ]
        return context


class QuickSearchView(PolicyMixin, TemplateView):
    """The header's search box: every kind of record the viewer may see, grouped, a few of each."""

    permission = ("dashboard", None)
    template_name = "salesdesk/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        typed = self.request.GET.get("q", "").strip()[:100]
        context.update(quick_q=typed, groups=quick_search.groups(self.request.user, typed),
                       can_unmask=can(self.request.user, "pii.unmask"))
        return context


# Access requests ---------------------------------------------------------------------------


class AccessRequestListView(PolicyMixin, TemplateView):
    template_name = "salesdesk/access_list.html"

    def dispatch(self, request, *args, **kwargs):
        self.permission = ("access.review", None) if can(request.user, "access.review") else ("access.request", None)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = AccessRequest.objects.visible_to(self.request.user).select_related("requester", "region", "decided_by")
        status = self.request.GET.get("status")
        if status in AccessRequest.Status.values:
            rows = rows.filter(status=status)
        context.update(
            page=Window(rows, self.request), statuses=AccessRequest.Status.choices, status=status,
            can_request=can(self.request.user, "access.request"),
        )
        return context


class AccessRequestCreateView(PolicyMixin, View):
    permission = ("access.request", None)
    template_name = "salesdesk/access_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": AccessRequestForm()})

    def post(self, request):
        form = AccessRequestForm(request.POST)
        if form.is_valid():
            created = run_service(
                request, form, lambda: services.access_request_create(by=request.user, **form.cleaned_data),
                _("Your request was sent to the department manager."),
            )
            if created:
                return redirect("access_list")
        return render(request, self.template_name, {"form": form}, status=400)


class AccessRequestDetailView(ObjectPolicyMixin, View):
    model = AccessRequest
    template_name = "salesdesk/access_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.permission = ("access.review", None) if can(request.user, "access.review") else ("access.request", None)
        return super().dispatch(request, *args, **kwargs)

    def get_policy_object(self):
        if not (can(self.request.user, "access.review") or can(self.request.user, "access.request")):
            raise PermissionDenied
        requests = AccessRequest.objects.visible_to(self.request.user).select_related("requester", "region", "decided_by")
        return get_object_or_404(requests, pk=self.kwargs["pk"])  # somebody else's request does not exist for you

    def get(self, request, pk):
        return render(request, self.template_name, {"req": self.object, "form": DecisionForm()})

    def post(self, request, pk):
        form = DecisionForm(request.POST)
        if not can(request.user, "access.review"):
            return HttpResponse(status=403)
        if form.is_valid():
            decide = (
                services.access_request_approve if form.cleaned_data["decision"] == "approve" else services.access_request_reject
            )
            done = run_service(
                request, form, lambda: decide(request=self.object, by=request.user, comment=form.cleaned_data["comment"]),
                _("Decision recorded."),
            )
            if done:
                return redirect("access_detail", pk=pk)
        return render(request, self.template_name, {"req": self.object, "form": form}, status=400)


# Audit trail and outbox --------------------------------------------------------------------


class AuditListView(FilteredListView):
    permission = ("audit.view", None)
    template_name = "salesdesk/audit_list.html"
    filterset_class = AuditFilter

    def get_queryset(self):
        return AuditEntry.objects.select_related("actor", "content_type")


class OutboxListView(FilteredListView):
    permission = ("outbox.view", None)
    template_name = "salesdesk/outbox_list.html"
    filterset_class = OutboxFilter

    def get_queryset(self):
        return OutboxMessage.objects.defer("body")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "now": timezone.now()}  # "next attempt" is in the past: at once


class OutboxActionView(ObjectPolicyMixin, View):
    permission = ("outbox.manage", None)
    model = OutboxMessage

    def get(self, request, pk, action):
        return redirect("outbox_list")

    def post(self, request, pk, action):
        action = outbox.retry if action == "retry" else outbox.cancel
        try:
            action(message=self.object, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Done."))
        return redirect("outbox_list")


# Staff archive -----------------------------------------------------------------------------


class StaffListView(PolicyMixin, TemplateView):
    permission = ("archive.query", "staff")
    template_name = "salesdesk/staff_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "").strip()
        rows = StaffProfile.objects.search(q).select_related("user").prefetch_related("user__groups")
        context.update(
            page=Window(rows, self.request, default_size=50), q=q, can_edit=can(self.request.user, "staff.edit"),
            can_export=can(self.request.user, "archive.export"), can_unmask=can(self.request.user, "pii.unmask"),
        )
        return context


STAFF_NUMBERS = ("mobile",)  # the personal numbers the edit form shows in full


class StaffEditView(ObjectPolicyMixin, View):
    permission = ("staff.edit", None)
    model = StaffProfile
    template_name = "salesdesk/staff_form.html"

    def get(self, request, pk):
        form = StaffProfileForm(instance=self.object)
        services.pii_opened_for_edit(obj=self.object, fields=STAFF_NUMBERS, by=request.user, via="salesdesk.staff_profile_edit")
        return render(request, self.template_name, {"form": form, "profile": self.object})

    def post(self, request, pk):
        form = StaffProfileForm(request.POST, instance=self.object)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in StaffProfileForm.Meta.fields}
            expected = form.cleaned_data["version"]
            self.object.refresh_from_db()
            if run_service(
                request, form,
                lambda: services.staff_profile_update(profile=self.object, by=request.user, data=data, expected_version=expected),
                _("Saved."),
            ):
                return redirect("staff_list")
        return render(request, self.template_name, {"form": form, "profile": self.object}, status=400)


# Personal data -----------------------------------------------------------------------------

class RevealView(PolicyMixin, View):
    """Shows one personal-data field unmasked, to a role that may see it, and logs the view."""

    permission = ("pii.unmask", None)

    def post(self, request, model, pk, field):
        if not registry.is_revealable(model):
            raise Http404
        obj = get_object_or_404(apps.get_model(model), pk=pk)
        try:
            value = services.pii_reveal(obj=obj, field=field, by=request.user)
        except DomainError:
            raise Http404
        return HttpResponse(format_html('<span class="font-monospace">{}</span>', value))

    def get(self, request, model, pk, field):
        return redirect(reverse("dashboard"))


# Accounts: password change, login lockouts -------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password from the user menu; the change is logged (never the
    password), and the person's other sessions end (their session hash changes)."""

    form_class = PasswordChangeForm
    template_name = "registration/change_password.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        services.password_change(user=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)  # this session stays; the others end
        return redirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/change_password_done.html"


class LockoutListView(PolicyMixin, View):
    """The logins locked out now (a user name or an address, salesdesk.lockouts), for the manager
    to lift one before its cool-off ends."""

    permission = ("access.unlock", None)
    template_name = "salesdesk/lockout_list.html"

    def get(self, request, form=None):
        return render(
            request, self.template_name,
            {"lockouts": lockouts.lockouts(), "form": form, "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
             "failure_limit": settings.AXES_FAILURE_LIMIT, "address_limit": settings.SALESDESK_ADDRESS_FAILURE_LIMIT},
            status=400 if form is not None else 200,
        )

    def post(self, request):
        form = UnlockForm(request.POST)
        if form.is_valid():
            target = {form.cleaned_data["kind"]: form.cleaned_data["value"]}
            if run_service(request, form, lambda: services.login_unlock(by=request.user, **target),
                           _("Unlocked: %(value)s can log in again.") % {"value": form.cleaned_data["value"]}):
                return redirect("lockout_list")
        return self.get(request, form=form)
