"""Policy rule 10: the private zone is encrypted at rest, spill files included."""

import threading
import time
import traceback

import duckdb
import pytest

from sluice.platform.errors import SluiceError
from sluice.platform.settings import dbt_profile_env
from sluice.platform.warehouse import DBT_MEMORY_LIMIT_ENV, MEMORY_LIMIT_ENV, dbt_memory_limit, private_zone

CANARY = "CANARY-PRIVATE-7f3a9c"


def test_planted_string_is_absent_from_file_bytes_and_key_is_required(tmp_path):
    db = tmp_path / "private.duckdb"
    with private_zone(db, "k" * 64, tmp_path / "spill") as con:
        con.execute("CREATE TABLE t AS SELECT ? || i AS s FROM range(5000) r(i)", [CANARY])
        assert con.execute("SELECT count(*) FROM t WHERE s LIKE ?", [CANARY + "%"]).fetchone()[0] == 5000
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('temp_file_encryption', 'temp_directory')").fetchall())
    assert settings["temp_file_encryption"] == "true" and settings["temp_directory"].startswith(str(tmp_path))
    assert CANARY.encode() not in db.read_bytes()

    with pytest.raises(duckdb.Error, match="without a key"):
        duckdb.connect(str(db))
    with pytest.raises(SluiceError) as wrong:
        with private_zone(db, "x" * 64, tmp_path / "spill"):
            pass
    assert wrong.value.code == "private_zone_unreadable"
    with private_zone(db, "k" * 64, tmp_path / "spill") as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 5000


def test_an_empty_key_is_refused(tmp_path):
    with pytest.raises(SluiceError):
        with private_zone(tmp_path / "p.duckdb", "", tmp_path / "spill"):
            pass
    assert not (tmp_path / "p.duckdb").exists()


def test_spill_files_hold_no_plaintext(tmp_path):
    """Watch the spill folder while a query larger than memory runs: files appear, none holds the canary."""
    db, spill = tmp_path / "private.duckdb", tmp_path / "spill"
    seen: set[str] = set()
    plaintext: list[str] = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            for path in spill.glob("*.tmp"):
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                seen.add(path.name)
                if CANARY.encode() in data:
                    plaintext.append(path.name)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    with private_zone(db, "k" * 64, spill, memory_limit="64MB", threads=1) as con:
        watcher.start()
        try:
            con.execute("CREATE TABLE big AS SELECT ? || i || repeat('x', 200) AS s FROM range(400000) r(i)", [CANARY])
            con.execute("CREATE TABLE sorted AS SELECT * FROM big ORDER BY s DESC")
        finally:
            done.set()
            watcher.join()
    assert seen, "the query did not spill; the test proves nothing"
    assert plaintext == []
    assert CANARY.encode() not in db.read_bytes()


def test_a_failing_query_reports_its_error_class_never_the_value(tmp_path):
    with pytest.raises(SluiceError) as failed:
        with private_zone(tmp_path / "p.duckdb", "k" * 64, tmp_path / "spill") as con:
            con.execute("SELECT CAST(? AS INTEGER)", [CANARY])
    assert failed.value.code == "private_zone_query_failed" and failed.value.detail == "ConversionException"
    assert CANARY not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__  # Dagster and tracebacks skip it
    assert CANARY not in "".join(traceback.format_exception(failed.value))


@pytest.mark.parametrize("run,dbt", [("1GB", "715MiB"), ("2GiB", "1536MiB"), (" 768 mb ", "549MiB"), ("1.5GB", "1072MiB"),
                                     ("lots", "lots")])
def test_dbt_gets_three_quarters_of_the_runs_memory_limit(monkeypatch, run, dbt):
    """The run stays resident while dbt runs; a limit this cannot read reaches DuckDB as given (it names the error)."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, run)
    assert dbt_memory_limit() == dbt
    assert dbt_profile_env("/home", "k" * 64)[DBT_MEMORY_LIMIT_ENV] == dbt
