"""Checking and normalising contact details; every problem is reported beside its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from panel.core.auth.services import normalise_email, validate_email
from panel.core.contacts.countries import COUNTRIES, EU_VAT_PREFIXES
from panel.errors import ValidationFailed

# Field name -> longest accepted value (the column lengths of `Contact`).
LIMITS: dict[str, int] = {
    "name": 200,
    "company": 200,
    "email": 254,
    "phone": 40,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "region": 100,
    "postcode": 20,
    "country": 2,
    "vat_id": 32,
}
FIELDS: tuple[str, ...] = tuple(LIMITS)

_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_POSTCODE = re.compile(r"^[0-9A-Za-z -]+$")

# What follows the prefix of an EU VAT id. Loose on purpose: the length and the kind
# of characters, not the check digits, which only the VIES service can vouch for.
EU_VAT_BODY: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[0-9A-Z+*]\d{5}[A-Z]{1,2}",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_GENERIC_VAT = re.compile(r"^[0-9A-Z]{4,20}$")


@dataclass(frozen=True)
class ContactData:
    """Contact details that passed the checks, normalised (see `clean_contact`)."""

    name: str
    company: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    vat_id: str = ""

    def values(self) -> dict[str, str]:
        """The fields as a dict (for inserts and updates)."""
        return asdict(self)


def normalise_vat(vat_id: str) -> str:
    """Upper case, without spaces, dots and dashes (`de 123.456.789` -> `DE123456789`)."""
    return re.sub(r"[\s.\-]", "", vat_id).upper()


def check_vat(vat_id: str, country: str) -> tuple[str, str | None]:
    """The normalised VAT id and why it is not acceptable (or None).

    An id that starts with an EU prefix is checked against that state's format; an
    EU contact's id without a prefix gets its country's. Other ids need only be 4 to
    20 letters and digits.
    """
    vat = normalise_vat(vat_id)
    if not vat:
        return "", None
    prefix = EU_VAT_PREFIXES.get(country)
    if prefix and not vat[:2].isalpha():
        vat = prefix + vat
    body = EU_VAT_BODY.get(vat[:2])
    if body is not None:
        if not re.fullmatch(body, vat[2:]):
            return vat, f"This does not look like a VAT id of {vat[:2]}: check the number after the prefix."
        if prefix and vat[:2] != prefix:
            return vat, f"A VAT id for {COUNTRIES[country]} starts with {prefix}."
        return vat, None
    if prefix:
        return vat, f"A VAT id for {COUNTRIES[country]} starts with {prefix}."
    if not _GENERIC_VAT.fullmatch(vat):
        return vat, "Use 4 to 20 letters and digits."
    return vat, None


def clean_contact(raw: Mapping[str, Any]) -> ContactData:
    """Check contact details from a form or the API; raise `ValidationFailed` with every problem.

    Name and email are required; the country, when given, must be an ISO 3166-1
    alpha-2 code; the phone may hold digits, spaces, `+ ( ) . / -`.
    """
    values = {name: str(raw.get(name) or "").strip() for name in FIELDS}
    values["email"] = normalise_email(values["email"])
    values["country"] = values["country"].upper()
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"Use at most {limit} characters."
    if not values["name"]:
        errors["name"] = "Enter a name."
    if not values["email"]:
        errors["email"] = "Enter an email address."
    elif "email" not in errors and (problem := validate_email(values["email"])):
        errors["email"] = problem
    if values["country"] and values["country"] not in COUNTRIES:
        errors["country"] = "Choose a country from the list (a two-letter ISO code such as DE or US)."
    phone = values["phone"]
    if phone and "phone" not in errors and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 4):
        errors["phone"] = "Use digits, spaces and + ( ) . / - only, like +49 30 1234567."
    if values["postcode"] and "postcode" not in errors and not _POSTCODE.fullmatch(values["postcode"]):
        errors["postcode"] = "Use letters, digits, spaces and dashes only."
    if "vat_id" not in errors and "country" not in errors:
        values["vat_id"], problem = check_vat(values["vat_id"], values["country"])
        if problem:
            errors["vat_id"] = problem
    if errors:
        raise ValidationFailed(errors)
    return ContactData(**values)
