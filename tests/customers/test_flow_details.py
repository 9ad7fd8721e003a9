"""The flow as a clerk expects it (issue 10, point 10): no grade until one is chosen; the regional
lead (and the developer) proposed from the region; regions picked from the tree, dealers and
customers filed only in its leaves; no comment box for the one who only submits; a refused export
that says what fits; every import saying whose it is."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import services as archive
from customers.forms import AuthorizeForm, CustomerForm, DealerForm, GradeForm
from customers.models import Customer, Dealer
from salesdesk import import_jobs
from salesdesk.forms import RegionChoiceField
from salesdesk.models import Region, Role
from salesdesk.services import region_create, region_update
from tests.conftest import PDF, intake_data
from tests.customers.test_archive_input import customer_post
from tests.helpers import says

S = Dealer.Status


@pytest.fixture
def lead(make_user):
    return make_user("lead", Role.DEVELOPER, name="李区域")


@pytest.fixture
def led_region(clerk, region, lead, developer):
    """保定市, led by `lead`, with `developer` as its one market developer."""
    return region_update(region=region, by=clerk, data={"lead": lead}, developers=[developer])


def options(html):
    """[(value, label, group)] of a rendered <select>."""
    found, group = [], None
    for match in re.finditer(r'<optgroup label="([^"]*)">|</optgroup>|<option value="([^"]*)"[^>]*>([^<]*)</option>', html):
        if match.group(1) is not None:
            group = match.group(1)
        elif match.group(0) == "</optgroup>":
            group = None
        else:
            found.append((match.group(2), match.group(3), group))
    return found


# No default grade ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form_class", [AuthorizeForm, GradeForm])
def test_the_grade_is_not_chosen_until_the_clerk_chooses_it(form_class):
    grade = form_class()["grade"]

    assert grade.field.choices[0][0] == ""
    assert 'value="" selected' in str(grade) or "selected" not in str(grade)


def test_authorizing_without_a_grade_is_refused_and_nothing_changes(login, clerk, make_dealer):
    filed = make_dealer(S.FILED)

    response = login(clerk).post(f"/archives/dealers/{filed.pk}/authorize/", {
        "agreement": SimpleUploadedFile("agreement.pdf", PDF), "agreement_signed_on": "2026-03-01",
    })

    assert response.status_code == 400
    assert "grade" in response.context["form"].errors
    filed.refresh_from_db()
    assert (filed.status, filed.grade, filed.card_number) == (S.FILED, "", None)


def test_the_authorize_page_shows_please_choose_for_the_grade(login, clerk, make_dealer):
    page = login(clerk).get(f"/archives/dealers/{make_dealer(S.FILED).pk}/authorize/")

    grade = re.search(r'<select[^>]*name="grade".*?</select>', page.content.decode(), re.S).group(0)
    assert options(grade)[0][:2] == ("", "请选择")
    assert " selected" not in grade.split("</option>", 1)[1]  # no grade pre-selected


# The regional lead from the region ---------------------------------------------------------------


def test_a_new_intake_takes_its_regional_lead_from_the_region(developer, led_region, lead):
    dealer = archive.dealer_intake_create(by=developer, data=intake_data(led_region))

    assert dealer.regional_lead == lead


def test_the_authorize_form_proposes_the_regions_lead(login, clerk, make_dealer, led_region, lead):
    filed = make_dealer(S.FILED)

    page = login(clerk).get(f"/archives/dealers/{filed.pk}/authorize/")

    assert page.context["form"]["regional_lead"].value() == lead.pk
    assert f'<option value="{lead.pk}" selected>李区域</option>' in page.content.decode()


def test_authorizing_keeps_the_proposed_lead(login, clerk, make_dealer, led_region, lead):
    filed = make_dealer(S.FILED)
    form = login(clerk).get(f"/archives/dealers/{filed.pk}/authorize/").context["form"]

    login(clerk).post(f"/archives/dealers/{filed.pk}/authorize/", {
        "grade": "B", "agreement": SimpleUploadedFile("agreement.pdf", PDF), "agreement_signed_on": "2026-03-01",
        "developer": form["developer"].value() or "", "regional_lead": form["regional_lead"].value(),
    })

    filed.refresh_from_db()
    assert filed.status == S.AUTHORIZED and filed.regional_lead == lead


def test_a_customer_left_without_lead_and_developer_gets_the_regions(login, clerk, led_region, lead, developer):
    response = login(clerk).post("/archives/customers/new/", customer_post(led_region))

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.regional_lead, customer.developer) == (lead, developer)


def test_a_customer_keeps_the_lead_and_developer_the_clerk_named(login, clerk, led_region, make_user, manager):
    other_developer = make_user("developer2", Role.DEVELOPER)

    login(clerk).post("/archives/customers/new/", customer_post(
        led_region, regional_lead=str(manager.pk), developer=str(other_developer.pk)))

    customer = Customer.objects.get()
    assert (customer.regional_lead, customer.developer) == (manager, other_developer)


def test_of_several_developers_of_a_region_none_is_guessed(login, clerk, region, lead, developer, make_user):
    region_update(region=region, by=clerk, data={"lead": lead}, developers=[developer, make_user("developer2", Role.DEVELOPER)])

    login(clerk).post("/archives/customers/new/", customer_post(region))

    customer = Customer.objects.get()
    assert (customer.regional_lead, customer.developer) == (lead, None)


# Regions from the tree; records in its leaves -----------------------------------------------------


@pytest.fixture
def tree(clerk, region, other_region):
    """河北省 (HB) → 保定市 (HBBD) → 清苑区 (HBBDQY), and 石家庄市 (HBSJZ); 山东省 (SD) undivided."""
    qingyuan = region_create(by=clerk, data={"name": "清苑区", "code": "HBBDQY", "parent": region})
    shijiazhuang = region_create(by=clerk, data={"name": "石家庄市", "code": "HBSJZ", "parent": region.parent})
    return {"HB": region.parent, "HBBD": region, "HBBDQY": qingyuan, "HBSJZ": shijiazhuang, "SD": other_region}


def test_leaves_are_the_regions_without_sub_regions(tree):
    assert set(Region.objects.leaves().values_list("code", flat=True)) == {"HBBDQY", "HBSJZ", "SD"}


@pytest.mark.parametrize("form_class", [DealerForm, CustomerForm])
def test_the_region_is_chosen_from_the_tree_and_only_its_leaves(tree, form_class):
    choices = options(str(form_class()["region"]))

    assert choices == [
        ("", "请选择", None),
        (str(tree["HBBDQY"].pk), "保定市 · 清苑区 (HBBDQY)", "河北省"),
        (str(tree["HBSJZ"].pk), "石家庄市 (HBSJZ)", "河北省"),
        (str(tree["SD"].pk), "山东省 (SD)", None),
    ] or choices == [
        ("", "请选择", None),
        (str(tree["SD"].pk), "山东省 (SD)", None),
        (str(tree["HBBDQY"].pk), "保定市 · 清苑区 (HBBDQY)", "河北省"),
        (str(tree["HBSJZ"].pk), "石家庄市 (HBSJZ)", "河北省"),
    ]


@pytest.mark.parametrize("code", ["HB", "HBBD"])
def test_a_customer_in_a_region_with_sub_regions_is_refused(login, clerk, tree, code):
    response = login(clerk).post("/archives/customers/new/", customer_post(tree[code]))

    assert response.status_code == 400
    assert "region" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_a_dealer_intake_in_a_province_with_cities_is_refused(login, developer, tree):
    from tests.customers.test_bounds import dealer_post

    response = login(developer).post("/archives/dealers/new/", dealer_post(tree["HB"]))

    assert response.status_code == 400
    assert "region" in response.context["form"].errors
    assert not Dealer.objects.exists()


def test_a_record_filed_before_its_region_was_divided_keeps_it_when_edited(login, clerk, make_customer, region):
    customer = make_customer()  # in 保定市, then divided
    region_create(by=clerk, data={"name": "清苑区", "code": "HBBDQY", "parent": region})

    form = CustomerForm(instance=customer)
    assert str(region.pk) in [value for value, _label, _group in options(str(form["region"]))]
    response = login(clerk).post(f"/archives/customers/{customer.pk}/edit/",
                                 customer_post(region, name=customer.name, phone=customer.phone, version=customer.version,
                                               notes="回访"))
    assert response.status_code == 302


def test_an_access_request_region_is_any_region_of_the_tree(tree):
    from salesdesk.forms import AccessRequestForm

    assert isinstance(AccessRequestForm().fields["region"], RegionChoiceField)
    labels = [label for _value, label, _group in options(str(AccessRequestForm()["region"]))]
    hebei = labels.index("河北省 (HB)")
    assert labels[hebei:hebei + 4] == ["河北省 (HB)", "\u3000保定市 (HBBD)", "\u3000\u3000清苑区 (HBBDQY)", "\u3000石家庄市 (HBSJZ)"]
    assert "山东省 (SD)" in labels


def test_a_region_form_picks_the_parent_from_the_indented_tree(tree):
    from customers.forms import RegionForm

    labels = [(label, group) for _value, label, group in options(str(RegionForm()["parent"]))]
    assert ("\u3000\u3000清苑区 (HBBDQY)", None) in labels
    assert ("河北省 (HB)", None) in labels


# No comment box for the one who submits ----------------------------------------------------------


def test_the_submit_page_offers_no_comment_box(login, developer, make_dealer):
    page = login(developer).get(f"/archives/dealers/{make_dealer(S.DRAFT).pk}/submit/")

    assert page.status_code == 200
    assert "<textarea" not in page.content.decode()
    assert "意见" not in page.content.decode()


def test_the_submit_step_needs_nothing_but_the_click(login, developer, make_dealer):
    dealer = make_dealer(S.DRAFT)

    assert login(developer).post(f"/archives/dealers/{dealer.pk}/submit/", {}).status_code == 302
    dealer.refresh_from_db()
    assert dealer.status == S.SUBMITTED


def test_the_file_page_offers_no_comment_box(login, clerk, make_dealer):
    page = login(clerk).get(f"/archives/dealers/{make_dealer(S.APPROVED).pk}/file/")

    assert "<textarea" not in page.content.decode()


def test_the_manager_signs_with_a_comment_kept_on_the_dossier(login, manager, make_dealer):
    dealer = make_dealer(S.SUBMITTED)
    client = login(manager)

    assert 'name="comment"' in client.get(f"/archives/dealers/{dealer.pk}/approve/").content.decode()
    client.post(f"/archives/dealers/{dealer.pk}/approve/", {"comment": "资料齐全"})
    dealer.refresh_from_db()
    assert dealer.review_comment == "资料齐全"


# The refused page says what fits ------------------------------------------------------------------

EXPORTS_ARE_NOT_REQUESTED = (
    "Lists are exported by the sales-service clerks, the department manager and leadership. "
    "An access request opens the archives for reading only, never for export."
)
ASK_FOR_ACCESS = "If you need it for your work, ask the department manager for access."


@pytest.mark.parametrize("role", ["member", "member_with_grant"])
@pytest.mark.parametrize("url", ["/archives/customers/export/?format=xlsx", "/archives/dealers/export/", "/staff/export/"])
def test_a_members_refused_export_says_members_do_not_export(request, login, role, url):
    response = login(request.getfixturevalue(role)).get(url)

    assert response.status_code == 403
    assert says(response, EXPORTS_ARE_NOT_REQUESTED)
    assert not says(response, ASK_FOR_ACCESS)


def test_a_members_refused_list_still_says_to_ask_for_access(login, member):
    response = login(member).get("/archives/customers/")

    assert response.status_code == 403
    assert says(response, ASK_FOR_ACCESS)


def test_a_refusal_no_access_request_can_lift_does_not_suggest_one(login, leader):
    response = login(leader).get("/archives/customers/new/")

    assert response.status_code == 403
    assert says(response, "This is not part of your role in Salesdesk.")
    assert not says(response, ASK_FOR_ACCESS)


# Whose import ------------------------------------------------------------------------------------


def test_an_import_says_who_uploaded_it(login, clerk, make_user, region):
    other = make_user("clerk2", Role.CLERK, name="王二")
    job = import_jobs.import_upload(
        by=other, kind="customers", duplicates="skip",
        upload=ContentFile("姓名,电话,区域编码\n张三,13900000001,HBBD\n".encode(), name="customers.csv"),
    )
    client = login(clerk)

    assert "王二" in client.get("/imports/").content.decode()
    assert "王二" in client.get(f"/imports/{job.pk}/").content.decode()
