"""The inventory bench runs at a small size (its timings are not judged here; bench/ reports
them): 3 servers read by 1 and 2 RQ workers on real Redis, a scratch PostgreSQL database made
and dropped, and the charts timed at 500 tokens. It needs PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL or CACHE_URL): without them it skips locally and fails in CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.environment import clean_environment
from tests.inventory.test_workers import BASE_DIR, redis_url


def postgres_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        message = "the inventory bench needs DATABASE_URL set to PostgreSQL"
        if os.environ.get("CI"):
            pytest.fail(f"{message}. In CI it must run, not skip (.ci/run sets DATABASE_URL).")
        pytest.skip(f"{message}; .ci/run sets it.")
    return urlunsplit(urlsplit(url)._replace(path=""))


def test_the_inventory_bench_reads_every_server_with_each_worker_count(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "bench.inventory", "--servers", "3", "--tokens", "3"]
    argv += ["--workers", "1,2", "--chart-tokens", "500", "--chart-rounds", "1"]
    argv += ["--postgres", postgres_server(), "--redis", redis_url(), "--out", str(tmp_path)]
    done = subprocess.run(
        argv,
        cwd=BASE_DIR,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (tmp_path / "inventory-report.md").read_text()
    rows = re.findall(
        r"^\| (\d) \| [\d.]+ s \| [\d.]+x \| (\d+) \| ([\d,]+) \| (\d+) \|", report, re.M
    )
    assert [(workers, servers, failed) for workers, servers, _, failed in rows] == [
        ("1", "3", "0"),
        ("2", "3", "0"),
    ]
    assert rows[0][2] == rows[1][2]  # the same tokens kept, whichever the workers
    assert int(rows[0][2].replace(",", "")) > 3 * 3
    assert report.count(" ms |") == 2 * 8  # each chart's case, median and slowest


def test_the_all_servers_bench_times_each_case_on_each_database(tmp_path: Path) -> None:
    """SQLite always; PostgreSQL too where DATABASE_URL names it (CI)."""
    url = os.environ.get("DATABASE_URL", "")
    postgres = urlsplit(url).scheme in ("postgres", "postgresql")
    argv = [sys.executable, "-m", "bench.all_servers", "--tokens", "300", "--servers", "4"]
    argv += ["--rounds", "1", "--out", str(tmp_path)]
    argv += ["--backends", "sqlite,postgres" if postgres else "sqlite"]
    if postgres:
        argv += ["--postgres", urlunsplit(urlsplit(url)._replace(path=""))]
    done = subprocess.run(
        argv,
        cwd=BASE_DIR,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (tmp_path / "all-servers-report.md").read_text()
    rows = re.findall(r"^\| (page|search|view)\b.*\| (HIT|MISS) \|$", report, re.M)
    assert {kind for kind, _ in rows} == {"page", "search", "view"}
    assert len(rows) == 17
    cells = 4 if postgres else 2  # a median and the slowest per database
    assert all(line.count(" ms |") == cells for line in report.splitlines() if "| view:" in line)
