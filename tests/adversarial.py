"""The red team's corpus: protected values written the way an adversary (or a careless keyboard) writes them.

Each variant is a text carrying one protected value, with the forms of the value that must not survive
redaction: as written, and what it stands for (`bare`: its digits, or its ASCII letters). Categories
follow issue 18's list; each has at least three variants per kind of value.
"""

from __future__ import annotations

from dataclasses import dataclass

# People of the corpus: directory names with accents, written every way, beside employees of the simulator.
DIRECTORY = ("José García", "Zoë Ångström", "Renée Dubois")

ZWSP, ZWNJ, ZWJ, WJ, BOM, SHY = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"
NBSP, THIN, FIGURE, IDEOGRAPHIC, EN_SPACE = "\u00a0", "\u2009", "\u2007", "\u3000", "\u2002"


def fullwidth(text: str) -> str:
    """ASCII letters, digits and punctuation as their fullwidth forms (U+FF01-FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def decomposed(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFD", text)


@dataclass(frozen=True)
class Variant:
    category: str
    kind: str  # the placeholder type it must become
    text: str
    value: str  # as written in the text
    bare: str  # what it stands for, folded: must not survive either
    engine: bool = True  # the redaction engine takes it; False: a known gap, withheld by the second layer
    field: str = "text"  # where it is sent: the prompt's text, or the event's `app` (default-deny)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.value, self.bare)


def _v(category: str, kind: str, template: str, value: str, bare: str, engine: bool = True) -> Variant:
    return Variant(category, kind, template.format(value), value, bare, engine)


UNICODE = [
    # fullwidth digits
    _v("unicode:fullwidth_digits", "PHONE", "call me on {} after lunch", fullwidth("415-555-0172"), "4155550172"),
    _v("unicode:fullwidth_digits", "CARD", "charge {} for the renewal", fullwidth("4539 1488 0343 6467"), "4539148803436467"),
    _v("unicode:fullwidth_digits", "SSN", "her ssn is {} per the form", fullwidth("219-09-9999"), "219099999"),
    # fullwidth letters
    _v("unicode:fullwidth_letters", "EMAIL", "write to {} today", fullwidth("dana.whitfield@example.com"), "dana.whitfield@example.com"),
    _v("unicode:fullwidth_letters", "IBAN", "wire it to {} please", fullwidth("DE89 3704 0044 0532 0130 00"), "DE89370400440532013000"),
    _v("unicode:fullwidth_letters", "PERSON", "ask {} about the rollout", fullwidth("José García"), "Jose Garcia"),
    # zero-width and soft hyphen inside a value
    _v("unicode:zero_width", "EMAIL", "mail {} the notes", f"dana{ZWSP}.whit{ZWNJ}field@exa{ZWJ}mple.com", "dana.whitfield@example.com"),
    _v("unicode:zero_width", "PHONE", "phone {} now", f"415-555{WJ}-01{BOM}72", "4155550172"),
    _v("unicode:zero_width", "CARD", "card {} on file", f"4539 14{SHY}88 0343 64{ZWSP}67", "4539148803436467"),
    _v("unicode:zero_width", "SSN", "ssn {} attached", f"219{SHY}-09-99{ZWJ}99", "219099999"),
    _v("unicode:zero_width", "PERSON", "loop in {} too", f"Jo{ZWSP}sé Gar{ZWNJ}cía", "Jose Garcia"),
    # other spaces as separators
    _v("unicode:spaces", "PHONE", "reach me at {} tonight", f"(415){NBSP}555{THIN}0172", "4155550172"),
    _v("unicode:spaces", "CARD", "use {} instead", f"4539{NBSP}1488{FIGURE}0343{IDEOGRAPHIC}6467", "4539148803436467"),
    _v("unicode:spaces", "IBAN", "account {} is new", f"GB82{EN_SPACE}WEST{NBSP}1234{NBSP}5698{NBSP}7654{NBSP}32", "GB82WEST12345698765432"),
    _v("unicode:spaces", "SSN", "number {} on the form", f"219{NBSP}09{NBSP}9999", "219099999"),
    _v("unicode:spaces", "PERSON", "thanks {} for the help", f"Renée{NBSP}Dubois", "Renee Dubois"),
    # combining accents against precomposed, and no accents at all
    _v("unicode:accents", "PERSON", "{} approved it", decomposed("José García"), "Jose Garcia"),
    _v("unicode:accents", "PERSON", "ping {} first", "Zoe Angstrom", "Zoe Angstrom"),
    _v("unicode:accents", "PERSON", "{} is out today", decomposed("Zoë Ångström").upper(), "ZOE ANGSTROM"),
    _v("unicode:accents", "PERSON", "cc {} on it", "Renee Dubois", "Renee Dubois"),
    # dashes of other kinds as separators
    _v("unicode:dashes", "PHONE", "call {} back", "415\u2011555\u20110172", "4155550172"),
    _v("unicode:dashes", "SSN", "ssn {} verified", "219\u201309\u20139999", "219099999"),
    _v("unicode:dashes", "PHONE", "dial {} please", "415\u2212555\u22120172", "4155550172"),
]

# Separators and formats: dots, slashes, none at all where the text names the value; every card network.
SEPARATORS = [
    _v("separators", "SSN", "her ssn is {} per the form", "219.09.9999", "219099999"),
    _v("separators", "SSN", "SSN# {} on file", "219099999", "219099999"),
    _v("separators", "SSN", "social security number: {}", "078051120", "078051120"),
    _v("separators", "PHONE", "call {} after lunch", "4155550172", "4155550172"),
    _v("separators", "PHONE", "mobile: {} any time", "2125550199", "2125550199"),
    _v("separators", "PHONE", "text me on {} please", "6505550123", "6505550123"),
    _v("separators", "CARD", "charge {} for it", "4539/1488/0343/6467", "4539148803436467"),
    _v("separators", "CARD", "amex {} expires soon", "3782.822463.10005", "378282246310005"),
    _v("separators", "CARD", "card {} on file", "4532015112830", "4532015112830"),  # Visa, 13 digits
    _v("card_networks", "CARD", "mastercard {} works", "2223 0031 2200 3222", "2223003122003222"),  # 2-series
    _v("card_networks", "CARD", "jcb {} declined", "3530 1113 3330 0000", "3530111333300000"),
    _v("card_networks", "CARD", "diners {} ok", "3056 930902 5904", "30569309025904"),  # 14 digits
    _v("card_networks", "CARD", "discover {} fine", "6011-1111-1111-1117", "6011111111111117"),
    _v("card_networks", "CARD", "maestro {} used", "6759 6498 2643 8453", "6759649826438453"),
]

# Formats the engine does not know yet (issue 18): none may be published; the second layer withholds them.
GAPS = [
    _v("secrets", "SECRET", "set {} in the env", "DB_PASS=hunter2xyz", "hunter2xyz", engine=False),
    _v("secrets", "SECRET", "creds: {}", "aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCY", "wJalrXUtnFEMIK7MDENGbPxRfiCY",
       engine=False),
    _v("secrets", "SECRET", "login with {}", '"pw": "Tr0ub4dor&3x"', "Tr0ub4dor&3x", engine=False),
]

# Identifier-like fields: an `app` that carries a name, an id or a number is published as <APP_OTHER>.
APPS = [Variant("identifier_fields", "APP_OTHER", app, app, bare, field="app") for app, bare in (
    ("com.josegarcia.notes", "garcia"),
    ("Zoe-Angstrom-Laptop.exe", "angstrom"),
    ("E99900002.exe", "e99900002"),
    ("tool4155550172.exe", "4155550172"),
    ("ｃｏｍ．ｒｅｎｅｅｄｕｂｏｉｓ．ａｐｐ", "dubois"),
)]

CORPUS = UNICODE + SEPARATORS + GAPS + APPS
CATEGORIES = sorted({v.category for v in CORPUS})
