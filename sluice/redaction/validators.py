"""Confirm a candidate before it is redacted: structure beyond what a regex can check."""

from __future__ import annotations

import ipaddress
import re

DIGITS = re.compile(r"\d")


def luhn(candidate: str) -> bool:
    digits = [int(d) for d in DIGITS.findall(candidate)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


# Issuer prefixes: Visa, Mastercard (2- and 5-series), Amex, Diners, JCB, Discover, UnionPay, Maestro.
CARD_PREFIXES = ("4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27", "34", "37", "300", "301", "302",
                 "303", "304", "305", "36", "38", "39", "35", "6011", "644", "645", "646", "647", "648", "649", "65", "62",
                 "50", "56", "57", "58", "6")


def payment_card(candidate: str) -> bool:
    """A plausible issuer prefix, a length of 13 to 19 digits and a valid Luhn checksum."""
    digits = "".join(DIGITS.findall(candidate))
    return digits.startswith(CARD_PREFIXES) and luhn(digits)


def iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def ssn(candidate: str) -> bool:
    digits = "".join(DIGITS.findall(candidate))
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return len(digits) == 9 and area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def phone(candidate: str) -> bool:
    digits = "".join(DIGITS.findall(candidate))
    if candidate.lstrip().startswith("+"):
        return 8 <= len(digits) <= 15
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"


def ip_address(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def always(candidate: str) -> bool:
    return True
