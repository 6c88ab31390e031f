import gzip
import json
from collections import Counter

from conftest import DAY, SMALL

from sluice.contract.models import Event, PAYLOADS
from sluice.simulate import simulate


def _events(out):
    for path in sorted((out / "raw").rglob("*.jsonl.gz")):
        with gzip.open(path, "rt") as handle:
            yield from (json.loads(line) for line in handle)


def test_deterministic_per_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 1), (b, 1), (c, 2)):
        simulate(DAY, 4, out, seed=seed, events_per_employee=300)
    files = lambda d: {p.relative_to(d): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    assert files(a) == files(b)
    assert files(a) != files(c)


def test_a_day_is_realistic_valid_and_labelled(simulated_day):
    events = list(_events(simulated_day))
    types = Counter(e["event_type"] for e in events)
    assert set(types) == set(PAYLOADS)
    assert types.most_common(1)[0][0] == "mouse_move"
    for e in events[:: max(1, len(events) // 2000)]:
        Event.model_validate_json(json.dumps(e), strict=True)
    assert len({e["event_id"] for e in events}) == len(events)
    assert len(events) >= SMALL["employees"] * SMALL["events_per_employee"]
    labels = [json.loads(line) for line in (simulated_day / "labels.jsonl").read_text().splitlines()]
    ids = {e["event_id"] for e in events}
    assert all(label["event_id"] in ids for label in labels)
    classes = Counter(label["class"] for label in labels)
    for cls in ("email", "phone", "ssn", "card", "iban", "ip", "secret", "person", "url_token",
                "password_field", "dm", "dss_3plus", "personal_messaging", "personnel_system"):
        assert classes[cls] > 0, cls
    consent = Counter(line.split(",")[-1] for line in (simulated_day / "directory.csv").read_text().splitlines()[1:])
    assert consent["granted"] and (consent["withdrawn"] + consent["never"])


def test_scope_creep_day_has_undeclared_types_fields_and_region(tmp_path):
    simulate(DAY, 6, tmp_path, seed=3, events_per_employee=800, scope_creep=True)
    events = list(_events(tmp_path))
    assert {e["event_type"] for e in events} - set(PAYLOADS)
    assert any("keystroke_buffer" in e for e in events)
    assert {e["region"] for e in events} == {"US", "DE"}
