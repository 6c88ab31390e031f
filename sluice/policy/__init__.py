"""The privacy policy (../shared/spec/privacy-policy.md), one module per rule.

| rule | what | where |
|---|---|---|
| 1 declared scope only | scope manifest, scope-creep reasons | `scope.py`, `scope_manifest.yaml` |
| 2 consent | only `granted` employees contribute | `consent.py` |
| 3 no direct identifiers | keyed HMAC pseudonyms | `pseudonyms.py` |
| 4 no typed secrets | password fields dropped, keys become classes | `keystrokes.py` |
| 5 PII in free text | typed, numbered placeholders | `sluice/redaction/` |
| 6 private conversations | DMs, personal-messaging apps and domains | `conversations.py` |
| 7 personnel data | HR apps and domains, personnel talk in text | `personnel.py` |
| 8 data sensitivity | `dss_level` context >= threshold, level dropped | `sensitivity.py` |
| 9 clean control plane | counts and rule names only | `sluice/platform/errors.py`, `sluice/contract/reasons.py` |
| 10 encryption, audit | encrypted private zone, hash-chained audit log | `sluice/platform/warehouse.py`, `sluice/lifecycle/audit.py` |
| zones | who may read and write each zone | `access.py`, `access.yaml` (enforced by `sluice/platform/zone_access.py`, `iam_policies.py`) |

`exclusions.py` lists, in order, the rules that drop valid events; each event is counted
under the first rule that drops it.
"""
