"""A labelled corpus for measuring redaction: clean texts, planted texts and look-alikes.

Look-alikes are what a careless detector redacts and must not: order ids, unix
timestamps, UUIDs, git hashes, version strings, dates and times, non-Luhn digit runs.
Deterministic per seed; every planted value is labelled with its placeholder type.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import dataclass, field

from sluice.redaction.validators import luhn
from sluice.simulate import FIRST, LAST, _iban, _luhn_card

TYPES = ("EMAIL", "PHONE", "SSN", "CARD", "IBAN", "IP", "MAC", "SECRET", "URL_TOKEN", "PERSON")
PROSE = [
    "Can you check why the nightly job took longer than usual and summarise the slow steps",
    "Here is the refactored function, it now streams the rows instead of loading them all",
    "Please review the draft of the quarterly planning doc before the sync tomorrow",
    "The dashboard shows a spike in latency after the last deploy, rolling back now",
    "I moved the meeting to the afternoon so the whole team can join from the other office",
    "Thanks, the fix works on my machine and the tests pass locally as well",
]


@dataclass(frozen=True)
class Score:
    planted: Counter  # (type, source) -> values planted
    caught: Counter  # (type, source) -> values a finding of their type covers
    altered: int  # texts without a planted value that something was found in
    clean: int

    def recall(self, kinds=None, exclude_sources: tuple[str, ...] = ()) -> dict[str, float]:
        """Recall per type (over every source but `exclude_sources`)."""
        totals, hits = Counter(), Counter()
        for (kind, source), n in self.planted.items():
            if source not in exclude_sources and (kinds is None or kind in kinds):
                totals[kind] += n
                hits[kind] += self.caught[(kind, source)]
        return {kind: hits[kind] / totals[kind] for kind in totals}

    def recall_by_source(self, kind: str) -> dict[str, float]:
        return {source: self.caught[(k, source)] / n for (k, source), n in self.planted.items() if k == kind}


def score(samples: list["Sample"], findings: list[list[tuple[str, int, int]]]) -> Score:
    """Score (type, start, end) findings per text against the samples' labels."""
    planted, caught, altered = Counter(), Counter(), 0
    for sample, found in zip(samples, findings):
        altered += not sample.planted and bool(found)
        for kind, value in sample.planted:
            start = sample.text.find(value)
            planted[(kind, sample.source)] += 1
            caught[(kind, sample.source)] += any(t == kind and s <= start and start + len(value) <= e for t, s, e in found)
    return Score(planted, caught, altered, sum(not s.planted for s in samples))


@dataclass
class Sample:
    text: str
    planted: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    lookalike: bool = False
    source: str = ""  # where its value comes from (a Faker locale for names)


def _people(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted_value(rng: random.Random, kind: str, people: list[str]) -> str:
    if kind == "EMAIL":
        first, last = rng.choice(people).lower().split()
        return f"{first}.{last}@{rng.choice(['acme.example.com', 'mail.example.org', 'corp.example.net'])}"
    if kind == "PHONE":
        return rng.choice([
            f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
            f"+44 20 {rng.randint(7000, 7999)} {rng.randint(1000, 9999)}",
            f"+49 30 {rng.randint(100000, 999999)}",
        ])
    if kind == "SSN":
        return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if kind == "CARD":
        return _luhn_card(rng)
    if kind == "IBAN":
        return _iban(rng)
    if kind == "IP":
        if rng.random() < 0.7:
            return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return f"2001:db8:{_hex(rng, 4)}::{_hex(rng, 3)}"
    if kind == "MAC":
        return ":".join(_hex(rng, 2) for _ in range(6))
    if kind == "SECRET":
        return rng.choice([
            "AKIA" + _alnum(rng, 16, string.ascii_uppercase + "234567"),
            "ghp_" + _alnum(rng, 36),
            "glpat-" + _alnum(rng, 20),
            "xoxb-" + "-".join(_alnum(rng, 12, string.digits) for _ in range(2)) + "-" + _alnum(rng, 24),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx" + _alnum(rng, 10) + "." + _alnum(rng, 43),
        ])
    if kind == "URL_TOKEN":
        return _alnum(rng, 32)
    return rng.choice(people)


def _embed(rng: random.Random, kind: str, value: str) -> str:
    if kind == "URL_TOKEN":
        return f"open https://app.example.com/share?doc={rng.randint(1, 999)}&token={value} when you can"
    if kind == "SECRET" and rng.random() < 0.3:
        return rng.choice([f"export API_KEY={value}", f"password: {value}", f"Authorization: Bearer {value}"])
    return rng.choice([f"contact {value} about it", f"value is {value}.", f"({value})", f"{value}, thanks", f"cc {value}"])


def _not_a_card(rng: random.Random) -> str:
    """16 digits that fail the Luhn check: an invoice number, not a card."""
    number = str(rng.randint(10**15, 10**16 - 1))
    return number if not luhn(number) else number[:-1] + str((int(number[-1]) + 1) % 10)


def _lookalike(rng: random.Random) -> str:
    return rng.choice([
        f"order ORD-{rng.randint(2020, 2026)}-{rng.randint(100000, 999999)}",
        f"ts {rng.randint(1_600_000_000, 1_800_000_000)}",
        f"ts_ms {rng.randint(1_600_000_000_000, 1_800_000_000_000)}",
        f"request {_hex(rng, 8)}-{_hex(rng, 4)}-4{_hex(rng, 3)}-a{_hex(rng, 3)}-{_hex(rng, 12)}",
        f"commit {_hex(rng, 40)}", f"commit {_hex(rng, 7)}",
        f"upgraded to v{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
        f"python {rng.randint(3, 3)}.{rng.randint(8, 13)}.{rng.randint(0, 12)}",
        f"on 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} at {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        f"invoice {_not_a_card(rng)}",
        f"ticket JIRA-{rng.randint(100, 99999)}", f"port {rng.randint(1024, 65535)}",
        f"total ${rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"due {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2020, 2030)}",  # a European date
        f"record 000{rng.randint(10**8, 10**9 - 1)}", f"release 0.{rng.randint(1, 30)}.{rng.randint(0, 99)}",
        f"sku AB{rng.randint(10, 99)}-{rng.randint(1000, 9999)}", f"room 0{rng.randint(1, 9)}-{rng.randint(100, 999)}",
    ])


def make_corpus(n: int, seed: int = 0, planted_share: float = 0.3, lookalike_share: float = 0.3,
                employees: int = 200) -> tuple[list[Sample], list[str]]:
    """`n` samples and the directory names they may mention."""
    rng = random.Random(seed)
    people = _people(rng, employees)
    samples = []
    for i in range(n):
        base = rng.choice(PROSE)
        roll = rng.random()
        if roll < planted_share:
            kind = TYPES[i % len(TYPES)]
            value = planted_value(rng, kind, people)
            samples.append(Sample(f"{base}, {_embed(rng, kind, value)}", [(kind, value)]))
        elif roll < planted_share + lookalike_share:
            samples.append(Sample(f"{base}, {_lookalike(rng)} and {_lookalike(rng)}", lookalike=True))
        else:
            samples.append(Sample(base + "."))
    return samples, people


# Names of people outside the directory, from another source than the finder's (Faker's locale lists, not the
# US Census), in the contexts they are written in, beside capitalised text that holds no name.
NAME_LOCALES = ("en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "pl_PL")
NAME_CONTEXTS = [
    "Dear {first}, thanks for the update", "Hi {first}, can we move the call?", "ask {name} about the invoice",
    "{name} said the shipment is late", "{first} said the fix works", "my daughter {first} has a fever today",
    "the customer {name} wants a refund", "Patient {last} was discharged on Friday", "Dr. {last} will call back",
    "meeting with {name} at noon", "forward this to {name} please", "{name}'s contract renews in May",
    "Mr {last} complained about the delay", "draft a reply to {name} about the outage", "cc {name}",
    "{first} {initial}. {last} signed the form", "Re: quote for {name}", "thanks {first}!",
]
CLEAN_TITLES = [
    "Q3 roadmap - Google Docs", "Pull request #412 · sluice", "pipeline_notes.py - Visual Studio Code", "#eng - Slack",
    "Microsoft Teams - Sales Report", "Google Chrome", "Docker Desktop", "Amazon Web Services Console", "Jenkins Pipeline",
    "Grafana Dashboards", "Terraform Cloud", "Adobe Acrobat Reader", "Google Sheets", "Notion Calendar", "Apple Music",
    "Merge Conflict Resolution", "Release Notes", "Incident Review", "Quarterly Business Review", "New York Office",
    "Data Platform Weekly", "Design Crit", "Security Awareness Training", "Expense Report Approval", "Open Pull Requests",
    "Rose Gold Theme", "Grace Period Policy", "Will Update Tomorrow", "Mark As Read", "Long Running Queries",
    "Save As", "Find and Replace", "Print Preview", "Spring Boot Starter", "Apache Kafka Streams", "Power BI Desktop",
    "Visual Studio Code", "Python Package Index", "Jupyter Notebook", "Zoom Meeting", "Confluence Page History",
    "Summer Sale Banner", "Black Friday Campaign", "Golden Gate Park photos", "Silicon Valley Bank statement",
]


def make_name_corpus(per_locale: int, seed: int = 0, locales: tuple[str, ...] = NAME_LOCALES) -> list[Sample]:
    """`per_locale` texts naming a person per locale (labelled PERSON, with the span of the name as written)
    and every clean title and PROSE sentence (unlabelled). Needs Faker (the dev group)."""
    from faker import Faker

    from sluice.redaction.normalize import fold_text

    rng = random.Random(seed)
    samples = []
    for locale in locales:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for _ in range(per_locale):
            first, last = fold_text(fake.first_name()), fold_text(fake.last_name())
            template = rng.choice(NAME_CONTEXTS)
            name = f"{first} {last}"
            text = template.format(first=first, last=last, name=name, initial=rng.choice(string.ascii_uppercase))
            value = (first if "{first}" in template and "{last}" not in template and "{name}" not in template
                     else last if "{last}" in template and "{first}" not in template else
                     name if "{name}" in template else text[text.index(first):text.index(last) + len(last)])
            samples.append(Sample(text, [("PERSON", value)], source=locale))
    samples += [Sample(text) for text in CLEAN_TITLES + PROSE]
    return samples


# Values of every type from Faker's locales (another source than the engine's tests), in the texts people write,
# labelled only when they are real values (Faker writes some that are not): a phone that is a valid number of its
# country in libphonenumber's plan, a card with a valid Luhn checksum, an IBAN of its country's format and checksum.
LOCALE_REGIONS = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL",
                  "pt_BR": "BR", "en_IN": "IN", "pl_PL": "PL", "en_AU": "AU", "ja_JP": "JP"}
CARD_TYPES = ("amex", "diners", "discover", "jcb15", "jcb16", "maestro", "mastercard", "visa13", "visa16", "visa19")
VALUE_CONTEXTS = ["contact {value} about it", "my number is {value}, thanks", "({value})", "{value}, see above",
                  "please use {value} from now on", "it says {value} on the form", "cc {value}", "sent to {value} yesterday"]


def _locale_value(fake, rng: random.Random, kind: str) -> str | None:
    """A value of `kind` as Faker writes it in its locale, or None when it is not a real one."""
    import phonenumbers
    from stdnum import iban

    from sluice.redaction.validators import luhn

    if kind == "PHONE":
        value = fake.phone_number()
        region = LOCALE_REGIONS[fake.locales[0]]
        try:
            return value if phonenumbers.is_valid_number(phonenumbers.parse(value.split("x")[0], region)) else None
        except phonenumbers.NumberParseException:
            return None
    if kind == "CARD":
        value = fake.credit_card_number(card_type=rng.choice(CARD_TYPES))
        value = rng.choice([value, " ".join(value[i:i + 4] for i in range(0, len(value), 4)), "-".join(value[i:i + 4] for i in range(0, len(value), 4))])
        return value if luhn(value) else None
    if kind == "IBAN":
        value = fake.iban()
        return rng.choice([value, " ".join(value[i:i + 4] for i in range(0, len(value), 4))]) if iban.is_valid(value) else None
    return {"EMAIL": fake.email, "SSN": fake.ssn, "IP": lambda: rng.choice([fake.ipv4_public(), fake.ipv6()]),
            "MAC": fake.mac_address, "PERSON": lambda: f"{fake.first_name()} {fake.last_name()}"}[kind]()


def make_locale_corpus(per_locale: int, seed: int = 0, locales: tuple[str, ...] = tuple(LOCALE_REGIONS)) -> list[Sample]:
    """Per locale, `per_locale` texts each planting one real value of a type (SSNs in en_US, names outside any
    directory) and as many look-alikes and clean texts. Needs Faker (the dev group)."""
    from faker import Faker

    rng = random.Random(seed)
    kinds = ("EMAIL", "PHONE", "CARD", "IBAN", "IP", "MAC", "PERSON")
    samples = []
    for locale in locales:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for i in range(per_locale):
            kind = ("SSN",) + kinds if locale == "en_US" else kinds
            kind = kind[i % len(kind)]
            value = _locale_value(fake, rng, kind)
            if value is not None:
                samples.append(Sample(f"{rng.choice(PROSE)}, {rng.choice(VALUE_CONTEXTS).format(value=value)}", [(kind, value)],
                                      source=locale))
            samples.append(Sample(f"{rng.choice(PROSE)}, {_lookalike(rng)} and {_lookalike(rng)}", lookalike=True, source=locale))
            samples.append(Sample(rng.choice(PROSE) + ".", source=locale))
    return samples
