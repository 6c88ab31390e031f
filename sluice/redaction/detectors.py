"""What the redaction engine finds, in priority order (the first detector to match wins).

Every pattern is written in the syntax shared by RE2 (DuckDB, the bulk pass) and Python's
`re` (classifying the few candidates), so the two agree. A pattern may assert `\b` only
next to a word character of its own match, so that a candidate classifies the same in
isolation as in its text (a test checks this on every detector). Secrets that sit behind a key
(`token=`, `password:`, `Bearer `) keep the key: only the value becomes a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sluice.redaction import validators


@dataclass(frozen=True)
class Detector:
    name: str
    placeholder: str  # the type in `<TYPE_n>`
    pattern: str
    validate: Callable[[str], bool] = validators.always
    keep_prefix: str | None = None  # a pattern for the part of the match that stays readable


# An extension after a phone number is part of it: `x123`, `ext. 12`, `extension 305`.
# It ends the number where a word boundary would (`415-555-0172x12` has none before the `x`).
END_OR_EXTENSION = r"(?:,? ?(?i:x|ext\.?|extension) ?[0-9]{1,6}\b|\b)"

DETECTORS: tuple[Detector, ...] = (
    # Whole, or without its END line: the base64 lines after BEGIN.
    Detector("private_key", "SECRET", r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
                                      r"|(?:\s*[A-Za-z0-9+/=]{16,})+)"),
    Detector("jwt", "SECRET", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    # Any parameter whose name holds a credential word (URL-encoded too: `access%5Ftoken`), and the short ones.
    Detector("url_token", "URL_TOKEN",
             r"[?&#;](?i:[a-z0-9_%.-]*(?:token|secret|passw|signature|credential|session|api_?key|api-key|api%5fkey|auth)"
             r"[a-z0-9_%.-]*|sig|code|key|sid|pwd|x-amz-[a-z-]+)=[^&#\s\"'<>]+",
             keep_prefix=r"^[?&#;][^=]+="),
    Detector("bearer", "SECRET", r"\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{16,}", keep_prefix=r"^[Bb]earer\s+"),
    Detector("basic_auth", "SECRET", r"(?i:\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+)[A-Za-z0-9+/=]{8,}",
             keep_prefix=r"^(?i:authorization[\"']?\s*[:=]\s*[\"']?basic\s+)"),
    # A key named like a credential (`DB_PASS`, `pw`, `aws_secret_access_key`, JSON, YAML, TOML, .env) given a
    # value: quoted (spaces allowed; the closing quote stays) or bare. Not `<SECRET_1>`: a placeholder is no secret.
    Detector("secret_assignment", "SECRET",
             r"(?i:\b(?:[a-z0-9]+[_.-])*(?:passw(?:or)?d|pass|pwd|pw|secret|token|credentials?|(?:api|access|secret|private|client)"
             r"[_-]?key|auth[_-]?token)[\"']?\s*[=:]\s*)(?:\"[^\"\n<]{4,}|'[^'\n<]{4,}|[^\s\"'&,;<>]{4,})",
             keep_prefix=r"^(?i:[a-z0-9_.-]+)[\"']?\s*[=:]\s*[\"']?"),
    # Command-line passwords: `--password x`, `--token=x`, and `-p` with the password attached (`mysql -pS3cret9`:
    # a digit or a symbol in it, so `-print` and `-pthread` stay).
    Detector("cli_password", "SECRET",
             r"\s(?:--(?i:password|passwd|pass|token|secret|api-key|apikey)[= ][^\s\"'<>]{4,}"
             r"|-p[^\s0-9\"'<>-][^\s\"'<>]*[0-9!@#$%^&*+=][^\s\"'<>]*)",
             keep_prefix=r"^\s(?:--[A-Za-z-]+[= ]|-p)"),
    # Provider keys the rule set (secret_rules.py) does not know: OpenAI's project and service keys, Google's, npm's.
    Detector("provider_key", "SECRET", r"\b(?:sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36})"),
    Detector("aws_access_key", "SECRET", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b"),
    # No upper bound on a token's length: a bounded repetition is a copy of its atom per count in RE2's program
    # (`{36,255}` made the combined pattern's extraction half again as slow), and a longer token is a secret too.
    Detector("github_token", "SECRET", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    Detector("gitlab_token", "SECRET", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    Detector("slack_token", "SECRET", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    Detector("email", "EMAIL", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    # Capitals grouped by spaces or dashes, or any case without separators (a spaced lower-case form would take
    # any words after a code and hide what they hold behind a failed candidate).
    Detector("iban", "IBAN", r"\b(?:[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?|(?i:[a-z]{2}[0-9]{2}[a-z0-9]{11,30}))\b",
             validators.iban),
    # Any 12 to 19 digits, one separator (space, dash, dot, slash) at most between two: every network's length and
    # grouping; the validator keeps issuer prefixes with a valid Luhn checksum.
    Detector("card", "CARD", r"\b[1-6][0-9](?:[ ./-]?[0-9]){10,17}\b", validators.payment_card),
    Detector("ssn", "SSN", r"\b[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}\b", validators.ssn),
    # Nine digits in a row are an SSN only where the text says so; the word stays readable.
    Detector("ssn_named", "SSN", r"(?i:\b(?:ssn|social security(?: number| no\.?)?)[ #:=]*)[0-9]{9}\b", validators.ssn,
             keep_prefix=r"^(?i:[a-z. ]+)[ #:=]*"),
    # National identity numbers, confirmed by their checksums: Italy's codice fiscale, Spain's DNI and NIE, Brazil's
    # CPF, Canada's SIN, India's Aadhaar, France's NIR, Sweden's personnummer, the UK's NI number.
    Detector("national_id", "NATIONAL_ID", r"\b(?:" + "|".join(shape for shape, _ in validators.NATIONAL_IDS) + r")\b",
             validators.national_id),
    # Ten digits in a row are a phone number where the text says so.
    Detector("phone_named", "PHONE", r"(?i:\b(?:call|phone|tel|mobile|cell|text|sms|fax|whatsapp|reach)(?: me)?[ :.#]*(?:at |on )?)"
             r"[0-9]{10}\b", validators.phone, keep_prefix=r"^(?i:[a-z ]+)[ :.#]*(?i:at |on )?"),
    Detector("phone_international", "PHONE", r"\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){1,6}[ .-]?[0-9]{2,4}" + END_OR_EXTENSION,
             validators.phone),
    Detector("phone_us", "PHONE", r"(?:\b1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}"
             + END_OR_EXTENSION, validators.phone),
    # Colon or dash pairs, or Cisco's dotted quads.
    Detector("mac", "MAC", r"\b(?:[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})\b"),
    Detector("ipv6", "IP", r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}\b", validators.ip_address),
    # Dots, or dots defanged as threat reports write them: `[.]`, `(.)`, `{.}`, `[dot]`, `(dot)`.
    Detector("ipv4", "IP", r"\b(?:[0-9]{1,3}(?:\.|\[\.\]|\(\.\)|\{\.\}|(?i:\[dot\]|\(dot\)))){3}[0-9]{1,3}\b",
             validators.ip_address),
    # National formats: a trunk 0 (or 00 and a country code) grouped, or in parentheses, or ten or eleven digits in a
    # row; India's 5 + 5, Poland's (and Spain's, Portugal's) 3 + 3 + 3 and 2 + 3 + 2 + 2, Brazil's (DDD) 9999-9999: a valid number of
    # one of their countries in libphonenumber's plan. Last, so that IPs, MACs and cards are taken first.
    Detector("phone_national", "PHONE",
             r"(?:\b0[0-9]{1,5}(?:[ .-][0-9]{1,8}){1,5}|\(0[1-9][0-9]{0,4}\)[ .-]?[0-9]{1,8}(?:[ .-][0-9]{1,8}){0,4}"
             r"|\b0[1-9][0-9]{7,9}|\b[6-9][0-9]{4} [0-9]{5}|\b[1-9][0-9]{2} [0-9]{3} [0-9]{3}|\b[1-9][0-9] [0-9]{3} [0-9]{2} [0-9]{2}"
             r"|(?:\([1-9][0-9]\) ?|\b[1-9][0-9] )9?[0-9]{4}-[0-9]{4})" + END_OR_EXTENSION, validators.national_phone),
    # Ten digits in a row that are a valid North American number (area code and exchange in the plan).
    Detector("phone_nanp_digits", "PHONE", r"\b[2-9][0-9]{2}[2-9][0-9]{6}\b", validators.nanp_phone),
)

# Types whose values are words, keys and addresses, not numbers: the engine scans for them in a pass of their own.
WORD_TYPES = frozenset({"SECRET", "URL_TOKEN", "EMAIL"})

# Every placeholder type, names included (found by `people.py`, not by a pattern).
PLACEHOLDERS: tuple[str, ...] = (*dict.fromkeys(d.placeholder for d in DETECTORS), "PERSON")
