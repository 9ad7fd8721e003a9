import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from customers import services
from customers.filters import CustomerFilter, DealerFilter
from customers.forms import AuthorizeForm, CustomerForm, DealerForm, GradeForm, PurchaseForm, ReasonForm, RegionForm
from customers.models import Customer, Dealer, Purchase
from salesdesk.access import can
from salesdesk.errors import DomainError
from salesdesk.forms import CommentForm, ConfirmForm
from salesdesk.models import AuditEntry, Region
from salesdesk.services import pii_opened_for_edit, region_create, region_update
from salesdesk.viewmixins import FilteredListView, ObjectPolicyMixin, PolicyMixin, run_service


# Regions ------------------------------------------------------------------------------------


class RegionListView(PolicyMixin, TemplateView):
    permission = ("region.query", None)
    template_name = "customers/region_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["regions"] = Region.objects.select_related("lead").prefetch_related("developers")
        context["can_edit"] = can(self.request.user, "archive.edit")
        return context


class RegionFormView(PolicyMixin, View):
    permission = ("archive.edit", None)
    template_name = "customers/region_form.html"

    def get(self, request, pk=None):
        region = get_object_or_404(Region, pk=pk) if pk else None
        return render(request, self.template_name, {"form": RegionForm(instance=region), "region": region})

    def post(self, request, pk=None):
        region = get_object_or_404(Region, pk=pk) if pk else None
        form = RegionForm(request.POST, instance=region)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in ["name", "code", "parent", "lead", "aftersales_by"]}
            developers = form.cleaned_data["developers"]
            if region:
                region.refresh_from_db()
                action = lambda: region_update(region=region, by=request.user, data=data, developers=developers)
            else:
                action = lambda: region_create(by=request.user, data=data, developers=developers)
            if run_service(request, form, action, _("Saved.")):
                return redirect("customers:region_list")
        return render(request, self.template_name, {"form": form, "region": region}, status=400)


# Dealers ------------------------------------------------------------------------------------


class DealerListView(FilteredListView):
    permission = ("archive.query", "dealers")
    template_name = "customers/dealer_list.html"
    filterset_class = DealerFilter
    category = "dealers"
    queryset = Dealer.objects.for_list()
    sortable = {"number": "resource_number", "company": "company", "region": "region__code", "status": "status",
                "grade": "grade", "contact": "contact"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can(self.request.user, "dealer.intake")
        context["can_export"] = can(self.request.user, "archive.export")
        return context


class DealerDetailView(ObjectPolicyMixin, TemplateView):
    permission = ("archive.query", None)
    queryset = Dealer.objects.select_related("region", "submitted_by", "reviewed_by", "filed_by", "developer", "regional_lead")
    template_name = "customers/dealer_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dealer, user = self.object, self.request.user
        steps = services.dealer_allowed_steps(user, dealer)
        context.update(
            dealer=dealer,
            birthdays=dealer.birthdays.all(),
            grade_changes=dealer.grade_changes.select_related("by"),
            history=AuditEntry.objects.for_object(dealer)[:20],
            can_edit="edit" in steps,
            can_submit="submit" in steps,
            can_review="approve" in steps,  # approve and return: the manager's two answers
            can_file="file" in steps,
            can_authorize="authorize" in steps,
            can_grade="grade" in steps,
            can_unmask=can(user, "pii.unmask"),
        )
        return context


class DealerCreateView(PolicyMixin, View):
    permission = ("dealer.intake", None)
    template_name = "customers/dealer_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": DealerForm()})

    def post(self, request):
        form = DealerForm(request.POST)
        if form.is_valid():
            dealer = run_service(
                request, form,
                lambda: services.dealer_intake_create(by=request.user, data=form.dealer_data(), birthdays=form.cleaned_data["birthdays"]),
                _("The intake is saved as a draft. Submit it for review when it is complete."),
            )
            if dealer:
                return redirect("customers:dealer_detail", pk=dealer.pk)
        return render(request, self.template_name, {"form": form}, status=400)


DEALER_PHONES = ("legal_rep_phone", "principal_phone", "contact_phone")


class DealerEditView(ObjectPolicyMixin, View):
    permission = ("archive.query", None)
    model = Dealer
    template_name = "customers/dealer_form.html"

    def get(self, request, pk):
        if "edit" not in services.dealer_allowed_steps(request.user, self.object):
            return _refuse(request, self.object)
        pii_opened_for_edit(obj=self.object, fields=DEALER_PHONES, by=request.user, via="customers.dealer_edit")
        return render(request, self.template_name, {"form": DealerForm(instance=self.object), "dealer": self.object})

    def post(self, request, pk):
        dealer = self.object
        if "edit" not in services.dealer_allowed_steps(request.user, dealer):
            return _refuse(request, dealer)
        form = DealerForm(request.POST, instance=dealer)
        if form.is_valid():
            expected = form.cleaned_data["version"]
            dealer.refresh_from_db()
            if run_service(
                request, form,
                lambda: services.dealer_update(
                    dealer=dealer, by=request.user, data=form.dealer_data(), expected_version=expected,
                    birthdays=form.cleaned_data["birthdays"],
                ),
                _("Saved."),
            ):
                return redirect("customers:dealer_detail", pk=pk)
        return render(request, self.template_name, {"form": form, "dealer": dealer}, status=400)


def _refuse(request, dealer):
    if dealer.status == Dealer.Status.SUBMITTED and can(request.user, "dealer.intake", dealer):
        messages.warning(request, _("This intake is with the manager for review and cannot be changed now."))
        return redirect("customers:dealer_detail", pk=dealer.pk)
    raise PermissionDenied


class DealerStepView(ObjectPolicyMixin, View):
    """One step of the dealer's life: GET shows the confirmation form, POST takes the step."""

    model = Dealer
    template_name = "customers/dealer_step.html"
    form_class = ConfirmForm  # a step asks for more only where the service keeps it
    step = ""  # the step of services.STEPS it takes
    title = ""
    note = ""  # what taking the step means, said above its button
    button = ""

    def form(self, data=None, files=None):
        return self.form_class(data, files)

    def get(self, request, pk):
        if self.step in services.REVIEW_STEPS and services.is_own_intake(request.user, self.object):
            messages.warning(request, _("You submitted or researched this intake, so another manager must review it."))
            return redirect("customers:dealer_detail", pk=pk)
        return self.show(self.form())

    def show(self, form, status=200):
        return render(
            request=self.request, template_name=self.template_name, status=status,
            context={"dealer": self.object, "form": form, "title": self.title, "button": self.button, "step": self},
        )

    def post(self, request, pk):
        form = self.form(request.POST, request.FILES)
        if form.is_valid() and run_service(request, form, lambda: self.take(form.cleaned_data), self.done_message):
            return redirect("customers:dealer_detail", pk=pk)
        return self.show(form, status=400)


class DealerSubmitView(DealerStepView):
    step = "submit"
    permission = ("dealer.intake", None)
    title = gettext_lazy("Submit the intake for review")
    note = gettext_lazy("Once submitted, the intake is with the department manager and cannot be changed unless it is returned.")
    button = gettext_lazy("Submit to the manager")
    done_message = gettext_lazy("Submitted. The department manager will review it.")

    def take(self, data):
        return services.dealer_intake_submit(dealer=self.object, by=self.request.user)


class DealerApproveView(DealerStepView):
    step = "approve"
    form_class = CommentForm  # the manager's comment is kept with the signature
    permission = ("dealer.review", None)
    title = gettext_lazy("Approve and sign the intake")
    button = gettext_lazy("Approve and sign")
    done_message = gettext_lazy("Approved and signed. The clerk can now file it.")

    def take(self, data):
        return services.dealer_intake_approve(dealer=self.object, by=self.request.user, comment=data["comment"])


class DealerReturnView(DealerStepView):
    step = "return"
    permission = ("dealer.review", None)
    form_class = ReasonForm
    title = gettext_lazy("Return the intake to the developer")
    button = gettext_lazy("Return with this reason")
    done_message = gettext_lazy("Returned to the developer.")

    def take(self, data):
        return services.dealer_intake_return(dealer=self.object, by=self.request.user, reason=data["reason"])


class DealerFileView(DealerStepView):
    step = "file"
    permission = ("dealer.file", None)
    title = gettext_lazy("File as a dealer resource")
    note = gettext_lazy("The dealer gets the next dossier number of its region.")
    button = gettext_lazy("Give it a number and file it")

    @property
    def done_message(self):
        return None

    def take(self, data):
        dealer = services.dealer_file(dealer=self.object, by=self.request.user)
        messages.success(self.request, _("Filed under number %(number)s.") % {"number": dealer.resource_number})
        return dealer


class DealerAuthorizeView(DealerStepView):
    step = "authorize"
    permission = ("dealer.authorize", None)
    form_class = AuthorizeForm
    title = gettext_lazy("Authorize the dealer")
    button = gettext_lazy("Authorize and make the dossier card")
    done_message = None

    def form(self, data=None, files=None):
        dealer = self.object
        return self.form_class(data, files, initial={
            "developer": dealer.developer_id or dealer.submitted_by_id,
            "regional_lead": dealer.region.lead_id or dealer.regional_lead_id,  # proposed from the region
        })

    def take(self, data):
        dealer = services.dealer_authorize(dealer=self.object, by=self.request.user, **data)
        messages.success(self.request, _("Authorized; dossier card number %(number)s.") % {"number": dealer.card_number})
        return dealer


class DealerGradeView(DealerStepView):
    step = "grade"
    permission = ("dealer.authorize", None)
    form_class = GradeForm
    title = gettext_lazy("Change the dealer's grade")
    button = gettext_lazy("Change the grade")
    done_message = None

    def take(self, data):
        dealer = services.dealer_change_grade(dealer=self.object, by=self.request.user, **data)
        messages.success(self.request, _("New grade %(grade)s; new card number %(number)s.") % {"grade": dealer.grade, "number": dealer.card_number})
        return dealer


class DealerCardView(ObjectPolicyMixin, TemplateView):
    """The printable dossier card (档案卡) of an authorized dealer."""

    permission = ("archive.query", None)
    queryset = Dealer.objects.select_related("region", "developer", "regional_lead", "reviewed_by")
    template_name = "customers/dealer_card.html"

    def get_context_data(self, **kwargs):
        if self.object.status != Dealer.Status.AUTHORIZED:
            raise Http404
        context = super().get_context_data(**kwargs)
        context.update(dealer=self.object, birthdays=self.object.birthdays.all(), grade_changes=self.object.grade_changes.all())
        return context


class DealerAgreementView(ObjectPolicyMixin, View):
    permission = ("archive.query", None)
    model = Dealer

    def get(self, request, pk):
        try:
            scan = services.dealer_agreement_open(dealer=self.object, by=request.user)
        except DomainError:
            raise Http404
        content_type = mimetypes.guess_type(scan.name)[0] or "application/octet-stream"
        return FileResponse(scan, content_type=content_type, filename=scan.name.rsplit("/", 1)[-1])


# End customers ------------------------------------------------------------------------------


class CustomerListView(FilteredListView):
    permission = ("archive.query", "customers")
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilter
    category = "customers"
    queryset = Customer.objects.for_list()
    # each served by a (field, -id) index; regions in the order they were filed (the tree's order)
    sortable = {"name": "name", "region": "region_id", "acreage": "acreage_mu"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can(self.request.user, "archive.edit")
        context["can_export"] = can(self.request.user, "archive.export")
        return context


class CustomerDetailView(ObjectPolicyMixin, TemplateView):
    permission = ("archive.query", None)
    queryset = Customer.objects.select_related("region", "regional_lead", "developer", "salesperson")
    template_name = "customers/customer_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer, user = self.object, self.request.user
        context.update(
            customer=customer,
            purchases=customer.purchases.select_related("dealer"),
            birthdays=customer.birthdays.all(),
            history=AuditEntry.objects.for_object(customer)[:20],
            can_edit=can(user, "archive.edit", customer),
            can_unmask=can(user, "pii.unmask"),
            purchase_form=PurchaseForm() if can(user, "archive.edit", customer) else None,
        )
        return context


class CustomerFormView(PolicyMixin, View):
    permission = ("archive.edit", None)
    template_name = "customers/customer_form.html"

    def get(self, request, pk=None):
        customer = get_object_or_404(Customer, pk=pk) if pk else None
        if customer:
            pii_opened_for_edit(obj=customer, fields=("id_card", "phone"), by=request.user, via="customers.customer_edit")
        return render(request, self.template_name, {"form": CustomerForm(instance=customer), "customer": customer})

    def post(self, request, pk=None):
        customer = get_object_or_404(Customer, pk=pk) if pk else None
        form = CustomerForm(request.POST, instance=customer)
        if form.is_valid():
            data, birthday = form.customer_data(), form.cleaned_data["birthday"]
            if customer:
                expected = form.cleaned_data["version"]
                customer.refresh_from_db()
                action = lambda: services.customer_update(
                    customer=customer, by=request.user, data=data, expected_version=expected, birthday=birthday
                )
            else:
                action = lambda: services.customer_create(by=request.user, data=data, birthday=birthday)
            saved = run_service(request, form, action, _("Saved."))
            if saved:
                return redirect("customers:customer_detail", pk=saved.pk)
        return render(request, self.template_name, {"form": form, "customer": customer}, status=400)


class PurchaseAddView(ObjectPolicyMixin, View):
    permission = ("archive.edit", None)
    model = Customer
    template_name = "customers/purchase_form.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"form": PurchaseForm(), "customer": self.object})

    def post(self, request, pk):
        form = PurchaseForm(request.POST)
        if form.is_valid() and run_service(
            request, form, lambda: services.purchase_add(customer=self.object, by=request.user, data=form.purchase_data()),
            _("Purchase added."),
        ):
            return redirect("customers:customer_detail", pk=pk)
        return render(request, self.template_name, {"form": form, "customer": self.object}, status=400)


class PurchaseRemoveView(ObjectPolicyMixin, View):
    permission = ("archive.edit", None)
    model = Purchase

    def get(self, request, pk):
        return redirect("customers:customer_detail", pk=self.object.customer_id)

    def post(self, request, pk):
        customer_id = self.object.customer_id
        services.purchase_remove(purchase=self.object, by=request.user)
        messages.success(request, _("Purchase removed."))
        return redirect("customers:customer_detail", pk=customer_id)
