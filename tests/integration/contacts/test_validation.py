"""Contact field checks: required fields, email, country codes, phone characters, VAT ids per EU prefix."""

from __future__ import annotations

import pytest

from panel.core.contacts.countries import COUNTRIES, EU_VAT_PREFIXES, country_name
from panel.core.contacts.validation import check_vat, clean_contact
from panel.errors import ValidationFailed


def _errors(**fields):
    with pytest.raises(ValidationFailed) as caught:
        clean_contact({"name": "N", "email": "n@example.com", **fields})
    return caught.value.errors


def test_country_list_is_iso_3166_alpha_2():
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES)
    assert country_name("DE") == "Germany" and country_name("") == ""
    assert set(EU_VAT_PREFIXES) <= set(COUNTRIES) and len(EU_VAT_PREFIXES) == 27


def test_clean_contact_normalises():
    data = clean_contact(
        {
            "name": "  Ann  ",
            "email": " Ann@Example.COM ",
            "country": "at",
            "vat_id": "u 123.456-78",
            "phone": "+43 (1) 234",
        }
    )
    assert (data.name, data.email, data.country, data.vat_id) == ("Ann", "ann@example.com", "AT", "ATU12345678")


def test_required_and_format_errors_are_per_field():
    with pytest.raises(ValidationFailed) as caught:
        clean_contact({})
    assert set(caught.value.errors) == {"name", "email"}
    assert set(_errors(email="x@", country="UK", phone="12ab34", postcode="1<2")) == {
        "email",
        "country",
        "phone",
        "postcode",
    }
    assert "phone" in _errors(phone="+ ( )")  # needs digits
    assert "name" in _errors(name="x" * 201)


@pytest.mark.parametrize(
    ("vat", "country", "expected"),
    [
        ("DE123456789", "DE", "DE123456789"),
        ("123456789", "DE", "DE123456789"),  # the country's prefix is added
        ("EL123456789", "GR", "EL123456789"),  # Greece uses EL
        ("FRXX123456789", "FR", "FRXX123456789"),
        ("NL123456789B01", "NL", "NL123456789B01"),
        ("ESB12345678", "ES", "ESB12345678"),
        ("IE1234567WA", "IE", "IE1234567WA"),
        ("CHE-123.456.789", "CH", "CHE123456789"),  # outside the EU: letters and digits
        ("GB123456789", "", "GB123456789"),
        ("", "DE", ""),
    ],
)
def test_vat_ids_that_pass(vat, country, expected):
    assert check_vat(vat, country) == (expected, None)


@pytest.mark.parametrize(
    ("vat", "country", "problem"),
    [
        ("DE12345678", "DE", "VAT id of DE"),  # one digit short
        ("ATU1234567", "AT", "VAT id of AT"),
        ("GR123456789", "GR", "starts with EL"),
        ("FR12345678901", "DE", "starts with DE"),  # another member state's id
        ("XX", "", "4 to 20"),
        ("ABC$%", "US", "4 to 20"),
    ],
)
def test_vat_ids_that_fail(vat, country, problem):
    _, message = check_vat(vat, country)
    assert message is not None and problem in message
