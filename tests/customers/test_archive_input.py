"""Bad input on the archive pages is refused with a message a clerk can act on, and saves nothing;
personal data is masked on lists and shown in full only on request, to those who may, logged."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from customers import services as archive
from customers.models import Birthday, Customer, Dealer
from salesdesk.errors import DomainError
from salesdesk.models import AuditEntry
from tests.conftest import PDF, intake_data
from tests.helpers import id_card, says

S = Dealer.Status


VALID_ID = id_card("13060219800101001")  # 130602198001010018
BAD_CHECKSUM_ID = VALID_ID[:17] + ("9" if VALID_ID[17] != "9" else "8")


def customer_post(in_region, **fields):
    return {
        "name": "赵大山", "id_card": "", "phone": "13812345678", "address": "保定市清苑区东闾乡",
        "region": str(in_region.pk), "crops": "小麦", "acreage_mu": "80", "machinery": "", "notes": "",
        "customer_birthday": "", "customer_birthday_calendar": "solar", **fields,
    }


def dealer_post(in_region, **fields):
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in intake_data(in_region).items()}
    return {**data, "legal_rep_birthday_calendar": "solar", "principal_birthday_calendar": "solar",
            "contact_birthday_calendar": "solar", **fields}


# Required fields and formats -----------------------------------------------------------------


def test_dealer_intake_with_missing_required_fields_is_refused(login, developer, region):
    response = login(developer).post("/archives/dealers/new/", {"company": "只写了公司名"})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"region", "contact", "contact_phone", "address"} <= set(errors)
    assert Dealer.objects.count() == 0
    assert not AuditEntry.objects.filter(action="customers.dealer.intake_created").exists()


def test_dealer_intake_with_a_malformed_phone_is_refused(login, developer, region):
    response = login(developer).post("/archives/dealers/new/", dealer_post(region, contact_phone="打电话问"))

    assert response.status_code == 400
    assert "contact_phone" in response.context["form"].errors
    assert Dealer.objects.count() == 0


def test_a_complete_dealer_intake_is_saved_as_a_draft(login, developer, region):
    response = login(developer).post("/archives/dealers/new/", dealer_post(region))

    dealer = Dealer.objects.get()
    assert response.status_code == 302
    assert response.url == f"/archives/dealers/{dealer.pk}/"
    assert (dealer.status, dealer.submitted_by) == (S.DRAFT, developer)


def test_customer_without_name_phone_or_region_is_refused(login, clerk, region):
    response = login(clerk).post("/archives/customers/new/", customer_post(region, name="", phone="", region=""))

    assert response.status_code == 400
    assert {"name", "phone", "region"} <= set(response.context["form"].errors)
    assert Customer.objects.count() == 0


# ID-card numbers ----------------------------------------------------------------------------


def test_an_id_card_with_a_bad_check_digit_is_refused(login, clerk, region):
    response = login(clerk).post("/archives/customers/new/", customer_post(region, id_card=BAD_CHECKSUM_ID))

    assert response.status_code == 400
    assert says(response, "This ID-card number fails its check digit: a character was probably mistyped.")
    assert [e.code for e in response.context["form"].errors.as_data()["id_card"]] == ["checksum"]
    assert Customer.objects.count() == 0


def test_an_id_card_with_an_impossible_birth_date_is_refused(login, clerk, region):
    impossible = id_card("13060219800231001")  # 31 February, with a correct check digit
    response = login(clerk).post("/archives/customers/new/", customer_post(region, id_card=impossible))

    assert response.status_code == 400
    assert says(response, "The birth date inside this ID-card number does not exist.")
    assert Customer.objects.count() == 0


def test_an_id_card_of_the_wrong_length_is_refused(login, clerk, region):
    response = login(clerk).post("/archives/customers/new/", customer_post(region, id_card="1306021980"))

    assert response.status_code == 400
    assert says(response, "An ID-card number has 18 characters: 17 digits and a digit or X.")
    assert Customer.objects.count() == 0


def test_a_lower_case_x_check_character_is_accepted_and_stored_upper_case(login, clerk, region):
    with_x = id_card("11010519491231002")
    assert with_x.endswith("X")

    response = login(clerk).post("/archives/customers/new/", customer_post(region, id_card=with_x.lower()))

    assert response.status_code == 302
    assert Customer.objects.get().id_card == with_x


def test_a_duplicate_id_card_is_refused_and_nothing_is_saved(login, clerk, region, make_customer):
    make_customer(id_card=VALID_ID)

    response = login(clerk).post("/archives/customers/new/", customer_post(region, name="另一个人", id_card=VALID_ID))

    assert response.status_code == 400
    assert Customer.objects.count() == 1
    assert not Customer.objects.filter(name="另一个人").exists()


def test_a_duplicate_id_card_is_refused_with_a_clear_message(login, clerk, region, make_customer):
    make_customer(id_card=VALID_ID)

    response = login(clerk).post("/archives/customers/new/", customer_post(region, name="另一个人", id_card=VALID_ID))

    assert response.status_code == 400
    assert says(response, "A customer with this ID-card number is already on file.")
    assert "customer_id_card_unique" not in response.content.decode()


def test_the_customer_service_refuses_a_duplicate_id_card_in_words(clerk, region, make_customer):
    make_customer(id_card=VALID_ID)
    with pytest.raises(DomainError) as refused:
        make_customer(id_card=VALID_ID)
    assert refused.value.message == gettext("A customer with this ID-card number is already on file.")
    assert Customer.objects.count() == 1


def test_editing_a_customer_to_someone_elses_id_card_is_refused(login, clerk, region, make_customer):
    make_customer(id_card=VALID_ID)
    other = make_customer(id_card="")

    response = login(clerk).post(
        f"/archives/customers/{other.pk}/edit/", customer_post(region, name=other.name, id_card=VALID_ID, version="1")
    )

    assert response.status_code == 400
    other.refresh_from_db()
    assert (other.id_card, other.version) == ("", 1)


# Duplicate dealers ----------------------------------------------------------------------------


def test_a_duplicate_company_in_the_same_region_is_refused(login, developer, region, make_dealer):
    make_dealer(company="保定丰收农机销售有限公司")

    response = login(developer).post("/archives/dealers/new/", dealer_post(region, company="保定丰收农机销售有限公司"))

    assert response.status_code == 400
    assert Dealer.objects.filter(company="保定丰收农机销售有限公司").count() == 1


def test_a_duplicate_company_in_the_same_region_is_refused_with_a_clear_message(login, developer, region, make_dealer):
    """The form answers before the service; its words are Django's unique message, which names the
    dealer, the region and the company name (not a constraint)."""
    make_dealer(company="保定丰收农机销售有限公司")

    response = login(developer).post("/archives/dealers/new/", dealer_post(region, company="保定丰收农机销售有限公司"))

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    with translation.override(response.headers["Content-Language"]):
        company_label = str(Dealer._meta.get_field("company").verbose_name)
    assert company_label.lower() in errors[0].lower()
    assert "dealer_company_unique_in_region" not in response.content.decode()


def test_the_intake_service_refuses_a_duplicate_company_in_words(developer, region, make_dealer):
    make_dealer(company="保定丰收农机销售有限公司")
    with pytest.raises(DomainError) as refused:
        archive.dealer_intake_create(by=developer, data=intake_data(region, "保定丰收农机销售有限公司"))
    assert refused.value.message == gettext("A dealer with this company name is already on file in this region.")


def test_the_same_company_in_another_region_is_a_different_dealer(login, developer, other_region, make_dealer):
    make_dealer(company="保定丰收农机销售有限公司")

    response = login(developer).post("/archives/dealers/new/", dealer_post(other_region, company="保定丰收农机销售有限公司"))

    assert response.status_code == 302
    assert Dealer.objects.filter(company="保定丰收农机销售有限公司").count() == 2


# The agreement scan ---------------------------------------------------------------------------


def authorize_post(upload):
    return {"grade": "B", "agreement": upload, "agreement_signed_on": "2026-03-01"}


@pytest.fixture
def filed(make_dealer):
    return make_dealer(S.FILED)


def assert_still_filed(dealer):
    dealer.refresh_from_db()
    assert dealer.status == S.FILED
    assert dealer.card_number is None
    assert not dealer.agreement
    assert dealer.grade_changes.count() == 0


def test_a_real_pdf_scan_authorizes_the_dealer(login, clerk, filed):
    response = login(clerk).post(
        f"/archives/dealers/{filed.pk}/authorize/", authorize_post(SimpleUploadedFile("agreement.pdf", PDF))
    )

    assert response.status_code == 302
    filed.refresh_from_db()
    assert (filed.status, filed.card_number) == (S.AUTHORIZED, "SQ-B-HBBD-0001")
    assert filed.agreement.name.endswith(".pdf")


@pytest.mark.parametrize("content, refusal", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "Upload the agreement as a PDF, JPEG or PNG scan."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "The file's name does not match its content; upload the original scan."),
], ids=["a renamed program", "a png named .pdf"])
def test_an_agreement_named_pdf_is_judged_by_its_content_and_refused(login, clerk, filed, content, refusal):
    scan = SimpleUploadedFile("agreement.pdf", content)

    response = login(clerk).post(f"/archives/dealers/{filed.pk}/authorize/", authorize_post(scan))

    assert response.status_code == 400
    assert says(response, refusal)
    assert_still_filed(filed)


def test_a_scan_over_the_size_limit_is_refused(login, clerk, filed, settings):
    settings.SALESDESK_UPLOAD_MAX_BYTES = 1_000_000
    big = SimpleUploadedFile("agreement.pdf", PDF + b"\n" * (1_500_000 - len(PDF)))

    response = login(clerk).post(f"/archives/dealers/{filed.pk}/authorize/", authorize_post(big))

    assert response.status_code == 400
    assert says(response, "The file is %(size).1f MB; the limit is %(limit).0f MB.", size=1.5, limit=1)
    assert_still_filed(filed)


def test_authorizing_without_a_file_is_refused(login, clerk, filed):
    response = login(clerk).post(
        f"/archives/dealers/{filed.pk}/authorize/", {"grade": "B", "agreement_signed_on": "2026-03-01"}
    )

    assert response.status_code == 400
    assert "agreement" in response.context["form"].errors
    assert_still_filed(filed)


# Birthdays ---------------------------------------------------------------------------------


def test_a_lunar_leap_month_that_the_year_does_not_have_is_refused(login, clerk, region):
    response = login(clerk).post(
        "/archives/customers/new/",
        customer_post(region, customer_birthday="2024-02-10", customer_birthday_calendar="lunar", customer_birthday_leap="on"),
    )

    assert response.status_code == 400
    assert "customer_birthday" in response.context["form"].errors
    assert says(response, "Lunar year %(year)s has no leap month %(month)s.", year=2024, month=2)
    assert Customer.objects.count() == 0
    assert Birthday.objects.count() == 0


def test_a_lunar_leap_month_that_exists_is_kept(login, clerk, region):
    response = login(clerk).post(
        "/archives/customers/new/",
        customer_post(region, customer_birthday="2023-02-10", customer_birthday_calendar="lunar", customer_birthday_leap="on"),
    )

    assert response.status_code == 302
    birthday = Customer.objects.get().birthdays.get()
    assert (birthday.calendar, birthday.year, birthday.month, birthday.day, birthday.is_leap_month) == ("lunar", 2023, 2, 10, True)


def test_a_dealer_contacts_missing_leap_month_is_a_field_error(login, developer, region):
    response = login(developer).post(
        "/archives/dealers/new/",
        dealer_post(region, legal_rep_birthday="2025-02-01", legal_rep_birthday_calendar="lunar", legal_rep_birthday_leap="on"),
    )

    assert response.status_code == 400
    assert "legal_rep_birthday" in response.context["form"].errors
    assert Dealer.objects.count() == 0


@pytest.mark.parametrize(
    "text, calendar, leap",
    [("1980-02-30", "solar", False), ("13-01", "lunar", False), ("1990-05-10", "solar", True), ("明年五月", "solar", False)],
)
def test_impossible_birthdays_are_field_errors(login, clerk, region, text, calendar, leap):
    fields = {"customer_birthday": text, "customer_birthday_calendar": calendar}
    if leap:
        fields["customer_birthday_leap"] = "on"

    response = login(clerk).post("/archives/customers/new/", customer_post(region, **fields))

    assert response.status_code == 400
    assert "customer_birthday" in response.context["form"].errors
    assert Customer.objects.count() == 0


def test_a_birthday_in_the_future_is_refused(login, clerk, region):
    next_year = datetime.date.today().year + 1
    response = login(clerk).post("/archives/customers/new/", customer_post(region, customer_birthday=f"{next_year}-01-01"))

    assert response.status_code == 400
    assert "customer_birthday" in response.context["form"].errors
    assert Customer.objects.count() == 0


# Forbidden and missing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, url",
    [
        ("developer", "/archives/customers/"),
        ("repair", "/archives/dealers/"),
        ("leader", "/archives/customers/new/"),
        ("manager", "/archives/dealers/new/"),
        ("member", "/archives/regions/"),
    ],
)
def test_a_forbidden_page_is_403(people, login, role, url):
    response = login(people[role]).get(url)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url", ["/archives/dealers/999999/", "/archives/dealers/999999/edit/", "/archives/customers/999999/", "/archives/dealers/999999/card/"]
)
def test_a_missing_record_is_404(login, clerk, url):
    assert login(clerk).get(url).status_code == 404


def test_the_card_of_a_dealer_that_is_not_authorized_is_404(login, clerk, filed):
    assert login(clerk).get(f"/archives/dealers/{filed.pk}/card/").status_code == 404


# Personal data on the customer list ----------------------------------------------------------


@pytest.fixture
def customer(make_customer):
    return make_customer(name="王秀英", id_card=VALID_ID, phone="13912345678")


@pytest.mark.parametrize("role", ["leader", "manager", "clerk", "member_with_grant"])
def test_phone_and_id_card_are_masked_on_the_customer_list(request, login, customer, role):
    page = login(request.getfixturevalue(role)).get("/archives/customers/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "王秀英" in content
    assert VALID_ID not in content
    assert "13912345678" not in content
    assert "1306**********0018" in content
    assert "139****5678" in content


@pytest.mark.parametrize("role", ["leader", "manager", "clerk", "member_with_grant"])
def test_phone_and_id_card_are_masked_on_the_customer_page(request, login, customer, role):
    content = login(request.getfixturevalue(role)).get(f"/archives/customers/{customer.pk}/").content.decode()

    assert VALID_ID not in content
    assert "13912345678" not in content
    assert "1306**********0018" in content


# Revealing in full --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "manager", "leader"])
def test_reveal_shows_the_full_id_card_and_is_logged(people, login, customer, role):
    user = people[role]

    response = login(user).post(f"/reveal/customers.customer/{customer.pk}/id_card/")

    assert response.status_code == 200
    assert VALID_ID in response.content.decode()
    entry = AuditEntry.objects.get(action="salesdesk.pii.viewed", actor=user)
    assert entry.object_id == str(customer.pk)
    assert entry.content_type.model == "customer"
    assert entry.data == {"field": "id_card"}


def test_reveal_of_the_phone_is_logged_with_its_field(login, clerk, customer):
    response = login(clerk).post(f"/reveal/customers.customer/{customer.pk}/phone/")

    assert "13912345678" in response.content.decode()
    assert AuditEntry.objects.get(action="salesdesk.pii.viewed").data == {"field": "phone"}


@pytest.mark.parametrize("role", ["developer", "repair", "member"])
def test_reveal_is_403_for_roles_that_may_not_see_personal_data(people, login, customer, role):
    response = login(people[role]).post(f"/reveal/customers.customer/{customer.pk}/id_card/")

    assert response.status_code == 403
    assert VALID_ID not in response.content.decode()
    assert not AuditEntry.objects.filter(action="salesdesk.pii.viewed").exists()


def test_reveal_by_get_shows_nothing(login, clerk, customer):
    response = login(clerk).get(f"/reveal/customers.customer/{customer.pk}/id_card/")

    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="salesdesk.pii.viewed").exists()


@pytest.mark.parametrize("path", ["customers.customer/{pk}/name", "auth.user/{pk}/password", "customers.customer/999999/id_card"])
def test_reveal_of_anything_else_is_404(login, clerk, customer, path):
    response = login(clerk).post("/reveal/" + path.format(pk=customer.pk) + "/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="salesdesk.pii.viewed").exists()
