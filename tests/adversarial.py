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
    field: str = "text"  # where it is sent: the prompt's text, or the event's `app` (default-deny)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.value, self.bare)


def _v(category: str, kind: str, template: str, value: str, bare: str) -> Variant:
    return Variant(category, kind, template.format(value), value, bare)


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

# Formats of other countries and other tools: national phone formats, extensions, IBANs in lower case,
# Cisco MACs, defanged IPs, national identity numbers (each checked by its checksum or numbering plan).
FORMATS = [
    _v("phones:national", "PHONE", "ring the London office on {} tomorrow", "020 7946 0958", "02079460958"),
    _v("phones:national", "PHONE", "mein Handy: {} ab acht", "030 12345678", "03012345678"),
    _v("phones:national", "PHONE", "appelle-moi au {} ce soir", "01 23 45 67 89", "0123456789"),
    _v("phones:national", "PHONE", "her UK mobile is {} now", "07911 123456", "07911123456"),
    _v("phones:national", "PHONE", "bel {} voor info", "(020) 123 4567", "0201234567"),
    _v("phones:national", "PHONE", "from abroad dial {} first", "0044 20 7946 0958", "00442079460958"),
    _v("phones:national", "PHONE", "his number in Mumbai is {} now", "98765 43210", "9876543210"),
    _v("phones:extension", "PHONE", "call {} about the invoice", "415-555-0172 x4471", "x4471"),
    _v("phones:extension", "PHONE", "desk line {} today", "(212) 555-0199 ext. 12", "ext. 12"),
    _v("phones:extension", "PHONE", "reception is {} all week", "+44 20 7946 0958 extension 305", "extension 305"),
    _v("iban:case", "IBAN", "wire to {} today", "de89370400440532013000", "de89370400440532013000"),
    _v("iban:case", "IBAN", "iban: {} thanks", "Gb82West12345698765432", "gb82west12345698765432"),
    _v("iban:case", "IBAN", "pay {} please", "FR14-2004-1010-0505-0001-3M02-606", "fr1420041010050500013m02606"),
    _v("mac:cisco", "MAC", "port security learned {} on gi0/1", "0050.56c0.0001", "005056c00001"),
    _v("mac:cisco", "MAC", "sticky mac {} is the laptop", "aabb.cc00.1f02", "aabbcc001f02"),
    _v("mac:cisco", "MAC", "arp shows {} twice", "001A.2B3C.4D5E", "001a2b3c4d5e"),
    _v("ip:defanged", "IP", "the beacon calls {} nightly", "203.0.113[.]45", "203.0.113.45"),
    _v("ip:defanged", "IP", "block {} at the edge", "198[.]51[.]100[.]7", "198.51.100.7"),
    _v("ip:defanged", "IP", "seen from {} again", "192(.)0(.)2(.)146", "192.0.2.146"),
    _v("ip:defanged", "IP", "c2 at {} per the report", "10[dot]20[dot]30[dot]40", "10.20.30.40"),
    _v("national_ids", "NATIONAL_ID", "codice fiscale {} allegato", "RCCMNL83S18D969H", "rccmnl83s18d969h"),
    _v("national_ids", "NATIONAL_ID", "su DNI es {} verdad", "54362315-K", "54362315k"),
    _v("national_ids", "NATIONAL_ID", "o CPF dela é {} ok", "390.533.447-05", "39053344705"),
    _v("national_ids", "NATIONAL_ID", "SIN {} on the T4", "123-456-782", "123456782"),
    _v("national_ids", "NATIONAL_ID", "aadhaar {} linked", "2341 2341 2346", "234123412346"),
    _v("national_ids", "NATIONAL_ID", "NIR {} sur la carte", "2 95 10 99 126 111 93", "295109912611193"),
    _v("national_ids", "NATIONAL_ID", "personnummer {} i systemet", "880320-0016", "8803200016"),
    _v("national_ids", "NATIONAL_ID", "NI number {} on the payslip", "JG 10 37 59 A", "jg103759a"),
]

# Directory names written inside other tokens or in other orders; and people who are not employees at all.
NAMES = [
    _v("names:directory_forms", "PERSON", "see {} on the wiki", "jose-garcia", "jose-garcia"),
    _v("names:directory_forms", "PERSON", "user {} logged in", "ReneeDubois", "reneedubois"),
    _v("names:directory_forms", "PERSON", "https://github.com/{}/dotfiles", "zangstrom", "zangstrom"),
    _v("names:directory_forms", "PERSON", "file {}_cv.pdf attached", "renee_dubois", "renee_dubois"),
    _v("names:directory_forms", "PERSON", "{} signed the form", "José M. García", "Jose M. Garcia"),
    _v("names:directory_forms", "PERSON", "row: {} (sales)", "GARCÍA, JOSÉ", "garcia, jose"),
    _v("names:directory_forms", "PERSON", "the {}-lopez family", "garcia", "garcia"),
    _v("names:outside_directory", "PERSON", "Dear {}, your results are ready", "Priya", "Priya"),
    _v("names:outside_directory", "PERSON", "my daughter {} has a fever", "Chloe", "Chloe"),
    _v("names:outside_directory", "PERSON", "Patient {} was discharged", "Okonkwo-Balewa", "Okonkwo-Balewa"),
    _v("names:outside_directory", "PERSON", "the customer {} wants a refund", "Maria J. Okafor", "Okafor"),
    _v("names:outside_directory", "PERSON", "draft a reply to {} about the outage", "Lekha Salvi", "Salvi"),
]

# Secrets as people paste them: credential-named keys in env files, JSON, YAML and TOML, quoted values with
# spaces, Basic auth, command-line flags, provider keys, a PEM block without its END line, URL-encoded names.
SECRETS = [
    _v("secrets:assignment", "SECRET", "set DB_PASS={} in the env", "hunter2xyz", "hunter2xyz"),
    _v("secrets:assignment", "SECRET", "creds: aws_secret_access_key={}", "wJalrXUtnFEMIK7MDENGbPxRfiCY", "wJalrXUtnFEMIK7MDENGbPxRfiCY"),
    _v("secrets:assignment", "SECRET", 'login with "pw": "{}"', "Tr0ub4dor&3x", "Tr0ub4dor&3x"),
    _v("secrets:assignment", "SECRET", 'config password: "{}" done', "correct horse battery staple", "correct horse battery"),
    _v("secrets:assignment", "SECRET", "[db]\nSmtp_Password = '{}'\n", "mail-Relay-77", "mail-Relay-77"),
    _v("secrets:header_and_cli", "SECRET", "curl -H 'Authorization: Basic {}' api", "dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    _v("secrets:header_and_cli", "SECRET", "run mysql -u root -p{} db", "S3cretPass42", "S3cretPass42"),
    _v("secrets:header_and_cli", "SECRET", "then psql --password={} now", "Wint3r!2026", "Wint3r!2026"),
    _v("secrets:providers", "SECRET", "key {} works", "sk-proj-AbCdEf1234567890GhIjKlMnOp", "AbCdEf1234567890GhIjKlMnOp"),
    _v("secrets:providers", "SECRET", "stripe {} live", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    _v("secrets:providers", "SECRET", "maps {} here", "AIzaSyD-1234567890abcdefghijklmnopqrstu", "1234567890abcdefghijklmnopqrstu"),
    _v("secrets:providers", "SECRET", "mail {} sent", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789abcdefg",
       "abcdefghijklmnopqrstuvwxyz0123456789abcdefg"),
    _v("secrets:providers", "SECRET", "publish with {} ok", "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    _v("secrets:pem", "SECRET", "here: {} (cut off)", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq1234abcdEFGH\nabcdEFGH1234abcdEFGH5678",
       "MIIEowIBAAKCAQEA7bq1234abcdEFGH"),
    _v("secrets:pem", "SECRET", "key {} end", "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
    _v("secrets:pem", "SECRET", "pasted {}", "-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
]

# URL parameters named like a credential, URL-encoded too.
URL_PARAMS = [
    _v("secrets:url_params", "URL_TOKEN", "open https://x.example.com/a?access%5Ftoken={} now", "abcdef123456", "abcdef123456"),
    _v("secrets:url_params", "URL_TOKEN", "open https://x.example.com/a?page=2&x-api-key={}", "k3y9v4lu3zz", "k3y9v4lu3zz"),
    _v("secrets:url_params", "URL_TOKEN", "open https://x.example.com/cb?state=ok&code={}#top", "4/0AfJohXn9Wq", "4/0AfJohXn9Wq"),
]

# Values behind a code shaped like the start of another value: the RE2 pass takes the IBAN-shaped candidate, which
# fails its checksum; the card after it must still be found.
SHADOWING = [
    _v("shadowing", "CARD", "ref AB12 {} ok", "4929 1827 3645 3016", "4929182736453016"),
    _v("shadowing", "CARD", "ref XY99 {} ok", "4539 1488 0343 6467", "4539148803436467"),
    _v("shadowing", "CARD", "see ZZ00 {} now", "5555 5555 5555 4444", "5555555555554444"),
]

# Identifier-like fields: an `app` that carries a name, an id or a number is published as <APP_OTHER>.
APPS = [Variant("identifier_fields", "APP_OTHER", app, app, bare, field="app") for app, bare in (
    ("com.josegarcia.notes", "garcia"),
    ("Zoe-Angstrom-Laptop.exe", "angstrom"),
    ("E99900002.exe", "e99900002"),
    ("tool4155550172.exe", "4155550172"),
    ("ｃｏｍ．ｒｅｎｅｅｄｕｂｏｉｓ．ａｐｐ", "dubois"),
)]

CORPUS = UNICODE + SEPARATORS + FORMATS + NAMES + SECRETS + URL_PARAMS + SHADOWING + APPS
CATEGORIES = sorted({v.category for v in CORPUS})


@dataclass(frozen=True)
class Aliased:
    """A window focus that a rule excludes, written under an alias of what the rule lists: its title carries a
    canary that no published file may hold (were the event promoted, the title would be published)."""
    category: str
    rule: str
    app: str
    url: str | None = None
    title: str = "Inbox"

    def canary(self, n: int) -> str:
        return f"red-team canary {n:03d}"


# Personal messaging apps, HR and review systems under other ids and hosts, and personnel talk in disguise.
ALIASES = [
    Aliased("catalog_aliases:apps", "personal_messaging", "WHATSAPP"),
    Aliased("catalog_aliases:apps", "personal_messaging", "Telegram.app"),
    Aliased("catalog_aliases:apps", "personal_messaging", "org.telegram.desktop.beta"),
    Aliased("catalog_aliases:apps", "personal_messaging", fullwidth("WhatsApp.exe")),
    Aliased("catalog_aliases:apps", "personnel_system", f"Work{ZWSP}day.exe"),
    Aliased("catalog_aliases:apps", "personnel_system", "com.workday.mobile"),
    Aliased("catalog_aliases:domains", "personal_messaging", "chrome.exe", "https://web.whatsapp.com./"),
    Aliased("catalog_aliases:domains", "personal_messaging", "chrome.exe", "https://WWW.Messenger.com/t/1"),
    Aliased("catalog_aliases:domains", "personal_messaging", "chrome.exe", "https://m.messenger.com/"),
    Aliased("catalog_aliases:domains", "personnel_system", "chrome.exe", f"https://acme.{fullwidth('myworkday')}.com/review"),
    Aliased("catalog_aliases:punycode", "personal_messaging", "chrome.exe", "https://web.xn--whatsapp-.com/"),
    Aliased("catalog_aliases:punycode", "personal_messaging", "chrome.exe",
            f"https://web.xn--{fullwidth('whatsapp').encode('punycode').decode()}.com/"),
    Aliased("catalog_aliases:punycode", "personal_messaging", "chrome.exe", "https://XN--MESSENGER-.COM/t/1"),
    Aliased("catalog_aliases:punycode", "personnel_system", "chrome.exe", "https://acme.xn--myworkday-.com/"),
    Aliased("catalog_aliases:personnel_talk", "personnel_content", "code.exe", None, f"his performance{NBSP}improvement plan"),
    Aliased("catalog_aliases:personnel_talk", "personnel_content", "code.exe", None, "the perf-review is due"),
    Aliased("catalog_aliases:personnel_talk", "personnel_content", "code.exe", None, f"cali{SHY}bration notes"),
    Aliased("catalog_aliases:personnel_talk", "personnel_content", "code.exe", None, "a pay\u2011raise for Sam"),
    Aliased("catalog_aliases:personnel_talk", "personnel_content", "code.exe", None, fullwidth("performance review")),
]
