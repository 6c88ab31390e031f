"""Confirm a candidate before it is redacted: structure beyond what a regex can check."""

from __future__ import annotations

import ipaddress
import re

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.se import personnummer

DIGITS = re.compile(r"\d")
EXTENSION = re.compile(r"(?i)[ ,]*(?:x|ext\.?|extension)\s*[0-9]+$")
DEFANGED_DOT = re.compile(r"(?i)\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)")
# Countries whose national formats the national phone detector reads.
NATIONAL_PHONE_REGIONS = ("GB", "DE", "FR", "IT", "NL", "BE", "CH", "AT", "IE", "SE", "AU", "NZ", "JP", "IN", "ZA", "PL",
                          "ES", "PT", "BR")
NINO_PREFIX = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]")


def nino(candidate: str) -> bool:
    """A UK National Insurance number: two prefix letters of the allowed ones, six digits, a suffix A-D."""
    return NINO_PREFIX.match(re.sub(r" ", "", candidate).upper()) is not None


# National identity numbers: each shape (as written, separators included) and the python-stdnum module that
# confirms its checksum and structure; `nino` is the UK's NI number (prefix rules, no checksum).
NATIONAL_IDS = (
    (r"[A-Za-z]{6}[0-9]{2}[A-Za-z][0-9]{2}[A-Za-z][0-9]{3}[A-Za-z]", codicefiscale.is_valid),  # Italy
    (r"[0-9]{8}-?[A-Za-z]", dni.is_valid),  # Spain
    (r"[XYZxyz]-?[0-9]{7}-?[A-Za-z]", nie.is_valid),  # Spain, foreigners
    (r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}", cpf.is_valid),  # Brazil
    (r"[0-9]{3}[ -][0-9]{3}[ -][0-9]{3}", sin.is_valid),  # Canada
    (r"[2-9][0-9]{3} [0-9]{4} [0-9]{4}", aadhaar.is_valid),  # India
    (r"[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[ABab]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}", nir.is_valid),  # France
    (r"(?:1[89]|20)?[0-9]{6}[-+][0-9]{4}", personnummer.is_valid),  # Sweden (a century of this era, or none)
    (r"[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]", nino),  # United Kingdom
)


DOUBLED = str.maketrans("0123456789", "0246813579")  # each digit doubled, its two digits summed


def luhn(candidate: str, min_length: int = 13) -> bool:
    digits = "".join(DIGITS.findall(candidate))
    if not min_length <= len(digits) <= 19:
        return False
    return (sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2].translate(DOUBLED)))) % 10 == 0


# Issuer prefixes: Visa, Mastercard (2- and 5-series), Amex, Diners, JCB, Discover, UnionPay, Maestro.
CARD_PREFIXES = ("4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27", "34", "37", "300", "301", "302",
                 "303", "304", "305", "36", "38", "39", "35", "2131", "1800", "6011", "644", "645", "646", "647", "648", "649",
                 "65", "62", "50", "56", "57", "58", "6")
MAESTRO_PREFIXES = ("50", "56", "57", "58", "63", "67")  # the one network with 12-digit cards


def payment_card(candidate: str) -> bool:
    """A plausible issuer prefix, a length of 13 to 19 digits (12 for Maestro) and a valid Luhn checksum."""
    digits = "".join(DIGITS.findall(candidate))
    if len(digits) == 12:
        return digits.startswith(MAESTRO_PREFIXES) and luhn(digits, min_length=12)
    return digits.startswith(CARD_PREFIXES) and luhn(digits)


def iban(candidate: str) -> bool:
    """Any case, any spacing: the country's length and format and the mod-97 checksum (python-stdnum)."""
    compact = re.sub(r"[ -]", "", candidate).upper()
    if not compact.isalnum() or int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 != 1:
        return False  # the checksum first: most candidates fail it, and it costs a fraction of the format lookup
    return stdnum_iban.is_valid(compact)


def ssn(candidate: str) -> bool:
    digits = "".join(DIGITS.findall(candidate))
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return len(digits) == 9 and area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def phone(candidate: str) -> bool:
    """North American or international (`+` or `00`): the digits' count and plan; an extension is not counted."""
    candidate = EXTENSION.sub("", candidate).strip()
    digits = "".join(DIGITS.findall(candidate))
    if candidate.startswith("+") or candidate.startswith("00"):
        digits = digits.removeprefix("00")
        return 8 <= len(digits) <= 15
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"


def national_phone(candidate: str) -> bool:
    """A valid number (libphonenumber's plan) of one of the countries whose national format it is written in."""
    candidate = EXTENSION.sub("", candidate).strip()
    if not 9 <= len(DIGITS.findall(candidate)) <= 15:
        return False
    for region in NATIONAL_PHONE_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def nanp_phone(candidate: str) -> bool:
    """Ten digits that are a valid North American number (libphonenumber's plan for its area codes)."""
    return phonenumbers.is_valid_number(phonenumbers.parse(candidate, "US"))


def national_id(candidate: str) -> bool:
    """A national identity number of a shape whose own check holds (one shape, one check: a number that only
    passes another country's checksum by chance is not taken)."""
    return any(re.fullmatch(shape, candidate) and valid(candidate) for shape, valid in NATIONAL_IDS)


def ip_address(candidate: str) -> bool:
    """An IP address, also written defanged (`10[.]0[.]0[.]1`, `(dot)`)."""
    if ":" in candidate and "::" not in candidate and candidate.count(":") != 7:
        return False  # an IPv6 address has eight groups or a `::` (times like `10:30:00` are most candidates)
    try:
        ipaddress.ip_address(DEFANGED_DOT.sub(".", candidate))
    except ValueError:
        return False
    return True


def always(candidate: str) -> bool:
    return True
