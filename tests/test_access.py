"""Who may read which zone (`sluice/policy/access.yaml`): the policy's invariants, the home's real file modes (read as
other users where the tests run as root), the storage_security gate on a home opened up by hand, and the IAM policies
of every role against an S3 API that enforces them (moto's server with IAM authorization on)."""

from __future__ import annotations

import grp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml
from botocore.exceptions import ClientError
from conftest import DAY, isolate_home, moto_server
from pydantic import ValidationError
from s3_buckets import BLOCK_ALL

from assets.private import landed_lines
from cli.main import EXIT_PUBLISHED, main
from orchestration.resources import resources
from sluice.lifecycle import audit
from sluice.platform.home import SluiceHome
from sluice.platform.iam_policies import role_policies
from sluice.platform.zone_access import findings
from sluice.policy.access import ACCESS_PATH, access_policy, load_access

NOBODY = 65534
AS_ROOT = os.geteuid() == 0


def _edited(tmp_path: Path, change) -> Path:
    policy = yaml.safe_load(ACCESS_PATH.read_text())
    change(policy)
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda p: p["zones"]["private"]["read"].append("analyst"), "identifying zone is read by the pipeline alone"),
    (lambda p: p["zones"]["raw"]["read"].append("training"), "identifying zone is read by the pipeline alone"),
    (lambda p: p["zones"]["analytics"]["write"].append("analyst"), "only the pipeline writes a published zone"),
    (lambda p: p["zones"]["training"]["read"].append("contractor"), "a role it does not declare"),
    (lambda p: p["zones"].pop("control"), "names exactly the zones"),
    (lambda p: p["zones"]["training"]["read"].remove("pipeline"), "the pipeline reads and writes every zone"),
])
def test_an_access_policy_that_opens_a_zone_beyond_the_privacy_policy_is_refused(tmp_path, change, message):
    with pytest.raises(ValidationError, match=message):
        load_access(_edited(tmp_path, change))


def test_the_access_policy_is_the_privacy_policys_table():
    policy = access_policy()
    assert {role: policy.readable_by(role) for role in policy.roles} == {
        "capture_agent": [], "pipeline": ["raw", "private", "control", "training", "analytics"],
        "training": ["training"], "analyst": ["analytics"]}
    assert policy.zones["raw"].write == ("capture_agent", "pipeline")


def _home(tmp_path: Path, groups=()) -> SluiceHome:
    home = SluiceHome(tmp_path / "home", tuple(groups)).ensure()
    (home.keys / "encryption.key").write_text("k")
    home.private_db.write_bytes(b"db")
    home.analytics_db.write_bytes(b"db")
    (home.training / "t" / "date=D").mkdir(parents=True)
    (home.training / "t" / "date=D" / "part-0.parquet").write_bytes(b"p")
    return home


def test_findings_are_what_someone_can_really_reach(tmp_path):
    home = _home(tmp_path)
    assert findings(home) == []
    home.keys.chmod(0o755)
    (home.keys / "encryption.key").chmod(0o644)
    assert findings(home) == []  # the home itself (0700) lets nobody through
    home.root.chmod(0o711)
    assert findings(home) == ["control:group_readable", "control:world_readable"]
    home.keys.chmod(0o700)
    home.warehouse.chmod(0o755)
    home.private_db.chmod(0o664)
    assert findings(home) == ["control:group_readable", "control:world_readable",  # the warehouse lists its files
                              "private:group_readable", "private:group_writable", "private:world_readable"]
    home.warehouse.chmod(0o711)
    home.private_db.chmod(0o600)
    home.analytics_db.chmod(0o604)
    assert findings(home) == ["analytics:world_readable"]


@pytest.mark.parametrize("named", [True, False])  # a group name, or a bare gid (containers)
def test_a_zone_read_by_a_group_is_read_by_that_group_only(tmp_path, named):
    own = grp.getgrgid(os.getgid()).gr_name if named else str(os.getgid())
    home = _home(tmp_path, [("analyst", own)])
    home.root.chmod(0o711)
    home.warehouse.chmod(0o711)
    home.analytics_db.chmod(0o640)
    assert findings(home) == []
    home.analytics_db.chmod(0o660)
    assert findings(home) == ["analytics:group_writable"]
    home.analytics_db.chmod(0o640)
    (home.training / "t").chmod(0o750)
    (home.training / "t" / "date=D").chmod(0o750)
    home.training.chmod(0o750)
    (home.training / "t" / "date=D" / "part-0.parquet").chmod(0o640)
    assert findings(home) == ["training:group_readable"]  # the training zone is no analyst's


def test_the_storage_security_gate_refuses_a_home_opened_up_by_hand(sluice_home):
    """As a run the UI or the schedule launches would meet it (no `sluice` command puts it back first)."""
    layout = SluiceHome(sluice_home)
    layout.root.chmod(0o755)
    layout.keys.chmod(0o755)
    result = dg.materialize([landed_lines], partition_key=DAY.isoformat(), resources=resources(), raise_on_error=False)
    (security,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "storage_security"]
    assert not security.passed and security.metadata["home:control:world_readable"].value == 1
    assert result.asset_materializations_for_node("private__landed_lines")[0].metadata["refused"].value == 1
    assert not layout.private_db.exists()  # nothing was read


def test_every_sluice_command_puts_a_loosened_home_back_and_audits_it(sluice_home):
    layout = SluiceHome(sluice_home)
    for path in (layout.root, layout.keys, layout.warehouse, layout.dagster_home):
        path.chmod(0o777)
    for key in layout.keys.iterdir():
        key.chmod(0o666)
    assert "control:world_writable" in findings(layout) or "control:world_readable" in findings(layout)
    assert main(["audit", "verify"]) == EXIT_PUBLISHED  # any command, before anything else
    assert findings(layout) == []
    assert {oct(p.stat().st_mode & 0o777) for p in (layout.root, layout.keys, *layout.keys.iterdir())} <= {"0o700", "0o600"}
    record = audit.read(layout.audit_log)[-1]
    assert record["action"] == "access" and record["repaired"] == 5  # home, warehouse, dagster/, both keys (keys/ by ensure)


def _groups() -> tuple[str, str]:
    """Two local groups the process may give files to (as root, any two but its own)."""
    if AS_ROOT:
        names = [g.gr_name for g in grp.getgrall() if g.gr_gid not in (0, NOBODY)]
        return names[0], names[1]
    own = grp.getgrgid(os.getgid()).gr_name
    return own, own


@pytest.fixture
def shared_home(simulated_day, monkeypatch):
    """DAY published by `sluice run` with the training and analytics zones given to two groups, in a folder other
    users can traverse."""
    base = Path(tempfile.mkdtemp(prefix="sluice-access-"))
    base.chmod(0o711)
    training, analyst = _groups()
    shutil.copytree(simulated_day, base / "inbox")
    (base / "inbox").chmod(0o700)  # the capture inbox is the pipeline's alone to read (the gate says so otherwise)
    isolate_home(monkeypatch, base / "home", base / "inbox")
    monkeypatch.setenv("SLUICE_TRAINING_GROUP", training)
    monkeypatch.setenv("SLUICE_ANALYST_GROUP", analyst)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    yield SluiceHome.from_env(), training, analyst
    shutil.rmtree(base)


def _mode(path: Path) -> tuple[str, str]:
    st = path.stat()
    return oct(st.st_mode & 0o777), grp.getgrgid(st.st_gid).gr_name


def test_a_published_home_gives_each_zone_to_its_readers_only(shared_home):
    home, training, analyst = shared_home
    assert findings(home) == []
    assert _mode(home.analytics_db) == ("0o640", analyst)
    published = [home.markers / f"{DAY.isoformat()}.json", *home.training.rglob("*.parquet"), *home.training.rglob("manifest.json")]
    assert len(published) > 3 and {_mode(p) for p in published} == {("0o640", training)}
    assert {_mode(d) for d in home.training.rglob("*") if d.is_dir()} == {("0o750", training)}
    assert oct(home.root.stat().st_mode & 0o777) == oct(home.warehouse.stat().st_mode & 0o777) == "0o711"
    identifying = [home.private_db, *home.keys.iterdir(), home.audit_log, *home.logs.rglob("*"), *home.dagster_home.rglob("*"),
                   *home.dbt_target.rglob("*")]
    assert len(identifying) > 10 and all(p.stat().st_mode & 0o077 == 0 for p in identifying)


READS = """
import duckdb, json, os, pathlib, sys
home, parquet, user, groups = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(g) for g in sys.argv[4].split(",") if g]
os.setgroups(groups)  # the interpreter is loaded (under /root): from here on, another user in `groups` only
os.setgid(user)
os.setuid(user)
def attempt(name, read):
    try:
        read()
        return name
    except Exception:
        return None
tried = [attempt("analytics", lambda: duckdb.connect(home + "/warehouse/analytics.duckdb", read_only=True).sql("from daily_app_usage").fetchall()),
         attempt("training", lambda: duckdb.sql(f"select count(*) from '{parquet}'").fetchall()),
         attempt("private", lambda: open(home + "/warehouse/private.duckdb", "rb").read(1)),
         attempt("keys", lambda: open(home + "/keys/encryption.key", "rb").read(1)),
         attempt("audit", lambda: open(home + "/audit/audit.jsonl", "rb").read(1)),
         attempt("logs", lambda: sorted((pathlib.Path(home) / "logs").iterdir()))]
print(json.dumps([t for t in tried if t]))
"""


@pytest.mark.skipif(not AS_ROOT, reason="reading as another user needs root to become one")
def test_other_users_read_what_their_group_may_and_nothing_else(shared_home):
    home, training, analyst = shared_home
    parquet = next(home.training.rglob("*.parquet"))

    def readable(*groups: str) -> list[str]:
        gids = ",".join(str(grp.getgrnam(g).gr_gid) for g in groups)
        done = subprocess.run([sys.executable, "-c", READS, str(home.root), str(parquet), str(NOBODY), gids], capture_output=True,
                              text=True, check=True, cwd="/")
        return json.loads(done.stdout)

    assert readable(analyst) == ["analytics"]
    assert readable(training) == ["training"]
    assert readable() == []


def _client(service: str, url: str, keys: dict | None = None):
    keys = keys or {"AccessKeyId": "setup", "SecretAccessKey": "setup"}  # before IAM is enforced, any key will do
    creds = {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"]}
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **creds)


RAW, EXPORT = "s3://capture-raw/agents", "s3://training-export/sluice"


@pytest.fixture
def enforcing_s3(monkeypatch):
    """An S3 API that enforces IAM identity policies once it is set up: the two buckets, and one IAM user per role with
    exactly the policy `role_policies` renders for them."""
    with moto_server(INITIAL_NO_AUTH_ACTION_COUNT="40") as url:
        kms = _client("kms", url).create_key()["KeyMetadata"]["KeyId"]
        s3, iam = _client("s3", url), _client("iam", url)
        for bucket in ("capture-raw", "training-export"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms}}]})
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL)
        keys = {}
        for role, document in role_policies(access_policy(), {"raw": RAW, "export": EXPORT}).items():
            iam.create_user(UserName=role)
            iam.put_user_policy(UserName=role, PolicyName="sluice", PolicyDocument=json.dumps(document))
            keys[role] = iam.create_access_key(UserName=role)["AccessKey"]
        unknown = _client("s3", url, {"AccessKeyId": "AKIANOBODY", "SecretAccessKey": "x"})
        for _ in range(40):  # the set-up's unauthenticated calls used up: from here every call is judged
            try:
                unknown.list_buckets()
            except ClientError:
                break
        else:
            raise AssertionError("the S3 API never started to enforce IAM")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url, keys


def _denied(call) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] in ("AccessDenied", "403")
    return False


def test_each_role_reaches_on_s3_what_access_yaml_says_and_the_pipeline_runs_a_day_on_its_own_policy(
        enforcing_s3, sluice_home, inbox, monkeypatch):
    url, keys = enforcing_s3
    agent, pipeline, trainer, analyst = (_client("s3", url, keys[r]) for r in ("capture_agent", "pipeline", "training", "analyst"))
    batches = sorted((inbox / "raw").rglob("*.jsonl.gz"))
    for batch in batches:  # the agents deliver the day with their own keys
        agent.put_object(Bucket="capture-raw", Key=f"agents/{batch.relative_to(inbox / 'raw').as_posix()}", Body=batch.read_bytes())
    first = f"agents/{batches[0].relative_to(inbox / 'raw').as_posix()}"
    assert _denied(lambda: agent.get_object(Bucket="capture-raw", Key=first))  # and cannot read one back
    assert _denied(lambda: agent.list_objects_v2(Bucket="capture-raw", Prefix="agents/"))
    for reader in (trainer, analyst):
        assert _denied(lambda: reader.get_object(Bucket="capture-raw", Key=first))
        assert _denied(lambda: reader.list_objects_v2(Bucket="capture-raw", Prefix="agents/"))

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["pipeline"]["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["pipeline"]["SecretAccessKey"])
    monkeypatch.setenv("SLUICE_RAW", RAW)
    monkeypatch.setenv("SLUICE_EXPORT", EXPORT)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED

    manifest_key = f"sluice/training/_published/{DAY.isoformat()}.json"
    manifest = json.loads(trainer.get_object(Bucket="training-export", Key=manifest_key)["Body"].read())
    part = next(f["path"] for info in manifest["tables"].values() for f in info["files"])
    assert trainer.get_object(Bucket="training-export", Key=f"sluice/training/{part}")["Body"].read(4) == b"PAR1"
    assert trainer.list_objects_v2(Bucket="training-export", Prefix="sluice/training/")["KeyCount"] > 0
    assert _denied(lambda: trainer.put_object(Bucket="training-export", Key=manifest_key, Body=b"{}"))
    assert _denied(lambda: trainer.delete_object(Bucket="training-export", Key=manifest_key))
    for outsider in (agent, analyst):
        assert _denied(lambda: outsider.get_object(Bucket="training-export", Key=manifest_key))


def test_the_rendered_policies_grant_least_privilege_where_the_test_api_cannot_judge():
    """What moto does not evaluate (conditions, KMS), checked in the JSON: listing only under the zone's prefix, KMS
    only through S3, explicit denials of the identifying zones, no wildcard action or bucket."""
    rendered = role_policies(access_policy(), {"raw": RAW, "export": EXPORT, "shards": "s3://sluice-shards/day"},
                             ["sluice/private-zone-key"])
    statements = {role: {s["Sid"]: s for s in doc["Statement"]} for role, doc in rendered.items()}
    for role, by_sid in statements.items():
        for statement in by_sid.values():
            assert "s3:*" not in statement["Action"] and "*" not in statement["Action"]
            if statement["Resource"] == ["*"]:
                assert statement["Condition"] == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}
            if statement["Action"] == ["s3:ListBucket"] and statement["Effect"] == "Allow":
                assert statement["Condition"]["StringLike"]["s3:prefix"][0].endswith("/*")
    assert statements["training"]["ListTraining"]["Condition"] == {"StringLike": {"s3:prefix": ["sluice/training/*", "sluice/training"]}}
    assert set(statements["training"]) == {"ReadTraining", "ListTraining", "DenyReadRaw", "DenyListRaw", "DenyReadPrivate",
                                           "DenyListPrivate", "KmsThroughS3"}
    assert statements["training"]["KmsThroughS3"]["Action"] == ["kms:Decrypt"]
    assert set(statements["analyst"]) == {"DenyReadRaw", "DenyListRaw", "DenyReadPrivate", "DenyListPrivate"}
    assert set(statements["capture_agent"]) == {"WriteRaw", "DenyReadRaw", "DenyListRaw", "DenyReadPrivate", "DenyListPrivate",
                                                "KmsThroughS3"}
    assert statements["capture_agent"]["WriteRaw"]["Action"] == ["s3:PutObject"]  # deleting is the pipeline's alone
    assert statements["pipeline"]["WritePrivate"]["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    assert statements["pipeline"]["KeySecrets"]["Resource"] == ["arn:aws:secretsmanager:*:*:secret:sluice/private-zone-key-*"]


def test_sluice_access_shows_each_zone_and_reports_a_loosened_home_without_changing_it(sluice_home, capsys, monkeypatch):
    layout = SluiceHome(sluice_home)
    assert main(["access"]) == 0
    shown = capsys.readouterr().out
    assert all(f"  {zone} " in shown for zone in access_policy().zones) and "no file is readable beyond" in shown
    assert "analyst (no SLUICE_ANALYST_GROUP set" in shown
    layout.root.chmod(0o755)
    (layout.keys / "encryption.key").chmod(0o644)
    layout.keys.chmod(0o755)
    assert main(["access"]) == 3
    assert "home:control:group_readable, home:control:world_readable" in capsys.readouterr().out
    assert layout.keys.stat().st_mode & 0o777 == 0o755  # reported, not changed
    monkeypatch.setenv("SLUICE_RAW", RAW)
    monkeypatch.setenv("SLUICE_EXPORT", EXPORT)
    assert main(["access", "--iam"]) == 0
    assert json.loads(capsys.readouterr().out) == role_policies(access_policy(), {"raw": RAW, "export": EXPORT, "shards": ""})


def test_a_capture_inbox_anyone_can_read_is_refused_and_one_closed_from_above_is_not(simulated_day, monkeypatch):
    base = Path(tempfile.mkdtemp(prefix="sluice-inbox-"))
    try:
        base.chmod(0o755)
        inbox = base / "inbox"
        shutil.copytree(simulated_day, inbox)
        for path in (inbox, *inbox.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)  # as a umask of 022 leaves them
        isolate_home(monkeypatch, base / "home", inbox)
        result = dg.materialize([landed_lines], partition_key=DAY.isoformat(), resources=resources(), raise_on_error=False)
        (security,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "storage_security"]
        assert not security.passed and security.metadata["inbox:raw:world_readable"].value == 1
        assert "home:raw:world_readable" not in security.metadata  # the home itself is closed
        base.chmod(0o700)  # nobody but the owner gets as far as the inbox
        result = dg.materialize([landed_lines], partition_key=DAY.isoformat(), resources=resources(), raise_on_error=False)
        assert all(e.passed for e in result.get_asset_check_evaluations())
    finally:
        shutil.rmtree(base)


def test_what_sluice_simulate_writes_is_its_users_alone(tmp_path):
    assert main(["simulate", "--date", DAY.isoformat(), "--employees", "2", "--events-per-employee", "50",
                 "--out", str(tmp_path / "day")]) == 0
    written = [tmp_path / "day", *(tmp_path / "day").rglob("*")]
    assert len(written) > 4 and all(p.stat().st_mode & 0o077 == 0 for p in written)
