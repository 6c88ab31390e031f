"""A deterministic simulator of one day of capture, in capture format v1, with ground truth.

Writes `OUT/raw/date=D/device=<id>/<batch>.jsonl.gz`, `OUT/directory.csv` and
`OUT/labels.jsonl` (which event carries which sensitive class, and the planted value;
`scope: context` labels sit on a window_focus and hold for the events that follow it in
the session). Consent is ground truth in the directory.
Mouse moves dominate; typing comes in bursts; assistant conversations, channel chat and
DMs, password fields, personal-messaging and HR apps, DSS 3-4 contexts and every PII
class of the policy are planted at known rates. `scope_creep=True` adds undeclared event
types, an undeclared field and a non-US device. `canaries=True` appends a unique token to the
content of every class the policy keeps out (DMs, personnel talk, HR and personal-messaging
windows, DSS 3-4 windows, non-consenting employees) and to allowed windows (`CANARY-OK-...`),
labelled `canary_<kind>`: the first must never be found outside the private zone, the last
must be found in the training zone.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

FIRST = ["Amelia", "Bruno", "Chiara", "Dmitri", "Esther", "Farah", "Gunnar", "Hiroshi", "Ingrid", "Jamal",
         "Keziah", "Lorenzo", "Mireille", "Nikolai", "Oluwaseun", "Priyanka", "Quentin", "Rosalind", "Soren",
         "Thandiwe", "Ulrich", "Valentina", "Wojciech", "Ximena", "Yusuf", "Zofia"]
LAST = ["Abernathy", "Balogun", "Castellanos", "Delacroix", "Eriksen", "Fitzgerald", "Gallagher", "Halvorsen",
        "Ivanova", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okonkwo", "Papadopoulos",
        "Quintero", "Rasmussen", "Szymanski", "Takahashi", "Underwood", "Vasquez", "Whitfield", "Yamamoto"]
TEAMS = ["platform", "data", "design", "sales", "support"]

# (app, title template, url template, weight). {doc}, {person} and {pii} are filled per context.
WORK_APPS = [
    ("com.google.Chrome", "{doc} - Google Docs", "https://docs.example.com/d/{doc_id}/edit", 20),
    ("com.google.Chrome", "Pull request #{n} · sluice", "https://git.example.com/org/repo/pull/{n}?token={tok}", 6),
    ("code.exe", "{doc}.py - Visual Studio Code", None, 18),
    ("slack", "#{channel} - Slack", None, 12),
    ("com.microsoft.Outlook", "Re: {doc} - {person}", None, 8),
    ("assistant", "Assistant", "https://assistant.example.com/c/{n}", 10),
    ("terminal", "bash - {doc}", None, 8),
    ("net.whatsapp.whatsapp", "WhatsApp", None, 1),
    ("workday", "Performance review - Workday", "https://acme.myworkday.com/review/{n}", 1),
    ("com.google.Chrome", "WhatsApp Web", "https://web.whatsapp.com/", 1),
]
DOCS = ["Q3 roadmap", "onboarding guide", "incident report", "design review", "pipeline notes", "budget draft"]
CHANNELS = ["eng", "data-platform", "design-crit", "random", "support-escalations"]
PROMPTS = ["How do I rewrite this query to use a window function? {pii}",
           "Summarise this thread for me: {pii}",
           "Draft a reply to the customer, their contact is {pii}",
           "Why does this test fail on CI? {pii}"]
RESPONSES = ["Here is a version using ROW_NUMBER() over the partition. {pii}",
             "The thread discusses the release plan. {pii}",
             "Sure, here is a draft reply. {pii}"]
CHATS = ["can someone review my PR? {pii}", "deploy is done {pii}", "lunch at 12? {pii}", "see notes {pii}"]
PERSONNEL = ["Calibration: {person} rated 2 of 5, put on a performance improvement plan",
             "Compensation review: raise for {person} denied, promotion deferred"]
KEYS = "abcdefghijklmnopqrstuvwxyz"
SPECIAL_KEYS = ["Enter", "Backspace", "Tab", "ArrowLeft", "ArrowRight", " ", ".", ",", "1", "2", "F5", "Shift"]

DAY_START_H, DAY_HOURS = 8, 9
BATCH_EVENTS = 2_000


@dataclass(frozen=True)
class Employee:
    employee_id: str
    name: str
    email: str
    team: str
    region: str
    consent: str
    device_id: str


PII_KINDS = ("email", "phone", "ssn", "card", "iban", "ip", "secret", "person")


def _pii(rng: random.Random, employees: list[Employee], kind: str) -> tuple[str, str]:
    """One planted value of a sensitive class: (class, value)."""
    if kind == "email":
        e = rng.choice(employees)
        return kind, e.email
    if kind == "phone":
        return kind, f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    if kind == "ssn":
        return kind, f"{rng.randint(100, 665):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"
    if kind == "card":
        return kind, _luhn_card(rng)
    if kind == "iban":
        return kind, _iban(rng)
    if kind == "ip":
        return kind, f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if kind == "secret":
        return kind, "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    return kind, rng.choice(employees).name


def _luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"


def _iban(rng: random.Random) -> str:
    bban = "".join(str(rng.randint(0, 9)) for _ in range(18))
    numeric = int("".join(str(int(c, 36)) for c in bban + "DE00"))
    return f"DE{98 - numeric % 97:02d}{bban}"


class _Writer:
    """Formats events of one employee into JSON lines and cuts them into batches."""

    def __init__(self, rng: random.Random, emp: Employee, day: date, scope_creep: bool, canaries: bool = False) -> None:
        self.rng, self.emp, self.scope_creep, self.canaries = rng, emp, scope_creep, canaries
        self.canary_count = 0
        self.day0 = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        self.lines: list[str] = []
        self.labels: list[str] = []
        self.ids = json.dumps(emp.employee_id), json.dumps(emp.device_id)
        self.planted = 0
        self.epoch_s = int(self.day0.timestamp())
        self.second: tuple[int, str] = (-1, "")

    def canary(self, kind: str) -> tuple[str, list]:
        """A unique token for a class of content (` CANARY-<KIND>-...`) and its label; nothing if off."""
        if not self.canaries:
            return "", []
        self.canary_count += 1
        token = f"CANARY-{kind}-{self.emp.employee_id[-4:]}x{self.canary_count}"
        return f" {token}", [(f"canary_{kind.lower()}", token)]

    def next_pii_kind(self, offset: int) -> str:
        """Classes rotate, so each is planted at the same known rate (1/8 of planted texts)."""
        self.planted += 1
        return PII_KINDS[(offset + self.planted) % len(PII_KINDS)]

    def event_id(self) -> str:
        h = "%032x" % self.rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def ts(self, ms: int) -> str:
        sec, milli = divmod(ms, 1000)
        if self.second[0] != sec:
            t = datetime.fromtimestamp(self.epoch_s + sec, timezone.utc)
            self.second = (sec, t.strftime("%Y-%m-%dT%H:%M:%S."))
        return f"{self.second[1]}{milli:03d}Z"

    def emit(self, ms: int, session: str, context: str, event_type: str, payload: str, label: list | None = None) -> str:
        eid = self.event_id()
        self.lines.append(
            f'{{"schema_version":"1","event_id":"{eid}","ts":"{self.ts(ms)}","employee_id":{self.ids[0]},'
            f'"device_id":{self.ids[1]},"session_id":"{session}","region":"{self.emp.region}",'
            f'"event_type":"{event_type}",{context}"payload":{payload}}}'
        )
        scope = "context" if event_type == "window_focus" else "event"
        for cls, value in label or ():
            self.labels.append(json.dumps({"event_id": eid, "class": cls, "value": value, "scope": scope}))
        return eid


def _employee_day(args: tuple) -> tuple[list[tuple[str, bytes, int]], list[str]]:
    seed, index, emp, day, events_target, employees, scope_creep, canaries = args
    rng = random.Random(f"{seed}:{index}")
    w = _Writer(rng, emp, day, scope_creep, canaries)
    ms = (DAY_START_H * 3600 + rng.randint(0, 3600)) * 1000
    if index == 0:  # one night owl works across midnight (batches hold a few next-day events)
        ms = (24 * 3600 - 120) * 1000
    session = f"s-{rng.getrandbits(32):08x}"
    sw, sh = rng.choice([(1920, 1080), (2560, 1440), (1440, 900)])
    emitted = 0
    while emitted < events_target:
        app, title_t, url_t, _ = rng.choices(WORK_APPS, weights=[a[3] for a in WORK_APPS])[0]
        labels: list = []
        fill = {"doc": rng.choice(DOCS), "doc_id": f"{rng.getrandbits(40):x}", "n": rng.randint(10, 9999),
                "person": rng.choice(employees).name, "channel": rng.choice(CHANNELS), "tok": f"{rng.getrandbits(64):x}"}
        title = title_t.format(**fill)
        url = url_t.format(**fill) if url_t else None
        if "{person}" in title_t:
            labels.append(("person", fill["person"]))
        if url and "token=" in url:
            labels.append(("url_token", fill["tok"]))
        dss = rng.choices([None, 1, 2, 3, 4], weights=[20, 40, 25, 10, 5])[0]
        if dss and dss >= 3:
            labels.append(("dss_3plus", dss))
        if app in ("net.whatsapp.whatsapp",) or (url or "").startswith("https://web.whatsapp"):
            labels.append(("personal_messaging", app))
        if app == "workday":
            labels.append(("personnel_system", app))
        kinds = {"personal_messaging": "PM", "personnel_system": "HR", "dss_3plus": "DSS"}
        excluded_by = next((kinds[cls] for cls, _ in labels if cls in kinds), None)
        suffix, canary_label = w.canary("CONSENT" if emp.consent != "granted" else excluded_by or "OK")
        title += suffix
        labels += canary_label
        context = f'"app":"{app}","window_title":{json.dumps(title)},'
        context += f'"url":{json.dumps(url)},' if url else ""
        context += f'"dss_level":{dss},' if dss else ""
        w.emit(ms, session, context, "window_focus", "{}", labels)  # context classes: on the focus event
        labels = []
        ms += rng.randint(200, 2000)
        emitted += 1
        for _ in range(rng.randint(2, 6)):  # activity bursts inside the context
            text_burst = app in ("assistant", "slack") and rng.random() < 0.5
            kind = rng.random()
            if text_burst and app == "assistant":
                cid = f"conv-{rng.getrandbits(32):08x}"
                for _turn in range(rng.randint(1, 3)):
                    for event_type, templates in (("assistant_prompt", PROMPTS), ("assistant_response", RESPONSES)):
                        turn_labels = list(labels)
                        pii = ""
                        if rng.random() < 0.5:
                            cls, pii = _pii(rng, employees, w.next_pii_kind(index))
                            turn_labels.append((cls, pii))
                        text = rng.choice(templates).format(pii=pii)
                        if event_type == "assistant_prompt" and rng.random() < 0.05:
                            person = rng.choice(employees).name
                            text = rng.choice(PERSONNEL).format(person=person)
                            turn_labels += [("personnel_text", "assistant"), ("person", person)]
                            suffix, canary_label = w.canary("HRTALK")
                            text += suffix
                            turn_labels += canary_label
                        extra = ',"model":"assist-1"' if event_type == "assistant_response" else ""
                        w.emit(ms, session, context, event_type,
                               f'{{"conversation_id":"{cid}","text":{json.dumps(text)}{extra}}}', turn_labels)
                        ms += rng.randint(2000, 20000)
                        emitted += 1
            elif text_burst:
                kind_of = rng.choices(["channel", "group", "dm"], weights=[60, 15, 25])[0]
                chat_labels = list(labels) + ([("dm", "chat")] if kind_of == "dm" else [])
                pii = ""
                if rng.random() < 0.3:
                    cls, pii = _pii(rng, employees, w.next_pii_kind(index))
                    chat_labels.append((cls, pii))
                text = rng.choice(CHATS).format(pii=pii)
                if kind_of == "dm":
                    suffix, canary_label = w.canary("DM")
                    text += suffix
                    chat_labels += canary_label
                w.emit(ms, session, context, "chat_message",
                       f'{{"channel_id":"C{rng.getrandbits(24):06X}","channel_kind":"{kind_of}",'
                       f'"direction":"{rng.choice(["sent", "received"])}","text":{json.dumps(text)}}}', chat_labels)
                ms += rng.randint(1000, 5000)
                emitted += 1
            elif kind < 0.6:
                x, y = rng.randrange(sw), rng.randrange(sh)
                for _ in range(rng.randint(20, 80)):
                    x = min(sw - 1, max(0, x + rng.randint(-30, 30)))
                    y = min(sh - 1, max(0, y + rng.randint(-20, 20)))
                    w.emit(ms, session, context, "mouse_move", f'{{"x":{x},"y":{y},"screen_w":{sw},"screen_h":{sh}}}', labels)
                    ms += rng.randint(8, 40)
                    emitted += 1
                button = rng.choices(["left", "right", "middle"], weights=[90, 9, 1])[0]
                w.emit(ms, session, context, "mouse_click",
                       f'{{"x":{x},"y":{y},"screen_w":{sw},"screen_h":{sh},"button":"{button}","clicks":{rng.choice([1, 1, 1, 2])}}}', labels)
                emitted += 1
            elif kind < 0.75:
                for _ in range(rng.randint(3, 15)):
                    w.emit(ms, session, context, "scroll", f'{{"dx":0,"dy":{rng.choice([-3, -1, 1, 3, 5])}}}', labels)
                    ms += rng.randint(30, 120)
                    emitted += 1
            else:
                password = rng.random() < 0.05
                field = "password" if password else rng.choice(["text", "text", "search", "unknown"])
                key_labels = [("password_field", "typed")] if password else []
                for _ in range(rng.randint(5, 40)):
                    key = rng.choice(KEYS) if rng.random() < 0.8 else rng.choice(SPECIAL_KEYS)
                    mods = '["ctrl"]' if rng.random() < 0.03 else ('["shift"]' if rng.random() < 0.05 else "[]")
                    w.emit(ms, session, context, "key", f'{{"key":{json.dumps(key)},"modifiers":{mods},"field":"{field}"}}', key_labels)
                    ms += rng.randint(60, 250)
                    emitted += 1
            ms += rng.randint(200, 3000)
        if scope_creep and rng.random() < 0.2:
            w.emit(ms, session, context, rng.choice(["screenshot", "clipboard"]), '{"bytes":1024}', [("scope_creep", "event_type")])
            w.emit(ms + 5, session, context + '"keystroke_buffer":"x",', "window_focus", "{}", [("scope_creep", "field")])
            emitted += 2
    return _cut_batches(rng, w.lines), w.labels


def _cut_batches(rng: random.Random, lines: list[str]) -> list[tuple[str, bytes, int]]:
    batches = []
    for start in range(0, len(lines), BATCH_EVENTS):
        chunk = lines[start : start + BATCH_EVENTS]
        batch_id = f"b-{rng.getrandbits(64):016x}"
        data = gzip.compress(("\n".join(chunk) + "\n").encode(), compresslevel=1, mtime=0)
        batches.append((batch_id, data, len(chunk)))
    return batches


def make_directory(seed: int, employees: int) -> list[Employee]:
    if employees > len(FIRST) * len(LAST):  # names are unique: more would never find a free one
        raise ValueError(f"the simulator names at most {len(FIRST) * len(LAST)} employees")
    rng = random.Random(f"{seed}:directory")
    teams = TEAMS[: max(1, min(len(TEAMS), employees // 8))]  # teams of about eight
    out, used = [], set()
    for i in range(employees):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if (first, last) not in used:
                used.add((first, last))
                break
        consent = "granted" if i < 3 else rng.choices(["granted", "withdrawn", "never"], weights=[84, 9, 7])[0]
        out.append(Employee(
            employee_id=f"E{rng.randint(10000, 99999)}{i:04d}",
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}@acme.example.com",
            team=teams[i % len(teams)],
            region="US",
            consent=consent,
            device_id=f"LAPTOP-{rng.getrandbits(24):06X}",
        ))
    return out


def simulate(day: date, employees: int, out: Path, seed: int = 0, events_per_employee: int = 5_000,
             scope_creep: bool = False, workers: int = 2, canaries: bool = False) -> dict[str, int]:
    staff = make_directory(seed, employees)
    if scope_creep:  # a device outside the declared collection region
        staff[-1] = Employee(**{**staff[-1].__dict__, "region": "DE"})
    out.mkdir(parents=True, exist_ok=True)
    with (out / "directory.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "name", "email", "team", "region", "consent"])
        for e in staff:
            writer.writerow([e.employee_id, e.name, e.email, e.team, e.region, e.consent])
    jobs = [(seed, i, e, day, events_per_employee, staff, scope_creep, canaries) for i, e in enumerate(staff)]
    batches = events = 0
    with (out / "labels.jsonl").open("w") as labels_out:
        for (emp, (employee_batches, labels)) in zip(staff, _map(jobs, workers)):
            folder = out / "raw" / f"date={day.isoformat()}" / f"device={emp.device_id}"
            folder.mkdir(parents=True, exist_ok=True)
            for batch_id, data, count in employee_batches:
                (folder / f"{batch_id}.jsonl.gz").write_bytes(data)
                batches += 1
                events += count
            labels_out.writelines(line + "\n" for line in labels)
    return {"employees": employees, "batches": batches, "events": events}


def _map(jobs: list[tuple], workers: int) -> Iterator:
    if workers <= 1 or len(jobs) < 4:
        yield from map(_employee_day, jobs)
        return
    with ProcessPoolExecutor(workers) as pool:  # shut down when the day is written, not at interpreter exit
        yield from pool.map(_employee_day, jobs, chunksize=max(1, len(jobs) // (workers * 4)))
