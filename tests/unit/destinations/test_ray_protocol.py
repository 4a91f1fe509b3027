"""The Ray Jobs HTTP protocol against a fake dashboard on 127.0.0.1: requests and errors."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import zipfile
from pathlib import Path

import pytest

from jobpack.destinations import JobRequest, parse_env
from jobpack.destinations.ray import MEMBER, Package, RayCluster, entrypoint
from jobpack.errors import (
    ArchiveError,
    DestinationRequestError,
    DestinationTimeout,
    DestinationUnreachable,
    JobNotFound,
    PackageTooLarge,
)
from jobpack.layout import MANIFEST_NAME, SCHEMA
from jobpack.layout.sizes import parse_size
from tests.support.fake_ray import FakeRay


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive without dependency layers: its zip alone (the cluster never opens it)."""
    path = tmp_path / "job.jobpack.zip"
    manifest = {"schema": SCHEMA, "target": {"python": "3.11"}, "files": []}
    with zipfile.ZipFile(path, "w") as opened:
        opened.writestr(MANIFEST_NAME, json.dumps(manifest))
        opened.writestr("src/main.py", "print('not run here')\n" * 100)
    return path


def cluster(fake: FakeRay, **kwargs: object) -> RayCluster:
    return RayCluster(fake.address, sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_package_wraps_the_archive_deterministically_and_is_named_by_its_sha256(
        archive: Path) -> None:
    first, second = Package.wrap(archive), Package.wrap(archive)
    assert first.data == second.data
    assert first.uri == f"gcs://_ray_pkg_{hashlib.sha256(archive.read_bytes()).hexdigest()}.zip"
    with zipfile.ZipFile(io.BytesIO(first.data)) as wrapper:
        assert wrapper.namelist() == [MEMBER]  # a folder's contents, no top-level folder
        assert wrapper.read(MEMBER) == archive.read_bytes()


def test_submit_uploads_once_then_reuses_the_stored_package(fake: FakeRay, archive: Path
                                                            ) -> None:
    job = JobRequest(args=("--n", "a b"), name="nightly", num_cpus=1.5, num_gpus=1,
                     memory=parse_size("2G"), env=parse_env(["A=1", "B=x=y"]),
                     outputs_to="/shared/out")
    first = cluster(fake).submit(archive, job)
    second = cluster(fake).submit(archive, job)
    assert (first.uploaded, second.uploaded) == (True, False)
    assert [r for r in fake.requests if r[0] == "PUT"] == [
        ("PUT", f"/api/packages/gcs/{Package.wrap(archive).name}")]
    assert first.job_id == "raysubmit_1"
    payload = fake.submitted[0]
    assert payload == {
        "entrypoint": "python3 job.jobpack.zip --output-dir /shared/out -- --n 'a b'",
        "runtime_env": {"working_dir": first.package, "env_vars": {"A": "1", "B": "x=y"}},
        "metadata": {"job_name": "nightly"},
        "entrypoint_num_cpus": 1.5, "entrypoint_num_gpus": 1,
        "entrypoint_memory": 2 * 1024**3,
    }


def test_a_bare_request_sends_no_resources_or_metadata(fake: FakeRay, archive: Path) -> None:
    cluster(fake).submit(archive, JobRequest())
    assert set(fake.submitted[0]) == {"entrypoint", "runtime_env"}
    assert entrypoint(JobRequest()) == "python3 job.jobpack.zip --"


def test_an_archive_over_the_upload_limit_is_refused_before_any_request(
        fake: FakeRay, archive: Path) -> None:
    with pytest.raises(PackageTooLarge) as caught:
        cluster(fake, upload_limit=2048).submit(archive, JobRequest())
    assert "without --wheels" in str(caught.value)
    assert str(archive) in str(caught.value)
    assert fake.requests == []


def test_a_missing_archive_is_one_line_before_any_request(fake: FakeRay, tmp_path: Path
                                                         ) -> None:
    with pytest.raises(ArchiveError) as caught:
        cluster(fake).submit(tmp_path / "absent.jobpack.zip", JobRequest())
    assert str(caught.value) == (f"{tmp_path / 'absent.jobpack.zip'}: cannot read it "
                                 "(No such file or directory)")
    assert fake.requests == []


def test_a_413_answer_to_the_upload_reads_as_too_large(fake: FakeRay, archive: Path) -> None:
    fake.fail[f"PUT /api/packages/gcs/{Package.wrap(archive).name}"] = (413, b"Too Large")
    with pytest.raises(PackageTooLarge, match="without --wheels"):
        cluster(fake).submit(archive, JobRequest())
    assert fake.submitted == []


def test_an_error_checking_for_the_package_is_not_read_as_absent(fake: FakeRay,
                                                                 archive: Path) -> None:
    fake.fail[f"GET /api/packages/gcs/{Package.wrap(archive).name}"] = (503, b"busy")
    with pytest.raises(DestinationRequestError, match="answered 503: busy"):
        cluster(fake).submit(archive, JobRequest())
    assert fake.packages == {}


def test_follow_yields_new_log_text_until_the_job_ends(fake: FakeRay) -> None:
    fake.script = [("PENDING", ""), ("RUNNING", "a\n"), ("RUNNING", "a\nb\n"),
                   ("FAILED", "a\nb\nc\n")]
    fake.exit_code = 3
    ray = cluster(fake)
    states: list[str] = []
    chunks = list(ray.follow("raysubmit_1", lambda status: states.append(status.state)))
    assert chunks == ["a\n", "b\n", "c\n"]
    assert states == ["PENDING", "RUNNING", "FAILED"]  # each change once
    status = ray.status("raysubmit_1")
    assert (status.state, status.exit_code, status.process_exit_code()) == ("FAILED", 3, 3)


def test_stop_and_logs_use_their_endpoints(fake: FakeRay) -> None:
    fake.script = [("RUNNING", "so far\n")]
    ray = cluster(fake)
    assert ray.logs("raysubmit_1") == "so far\n"
    assert ray.stop("raysubmit_1") is True
    assert fake.stopped == ["raysubmit_1"]


def test_an_unknown_job_is_job_not_found_in_one_line(fake: FakeRay) -> None:
    with pytest.raises(JobNotFound) as caught:
        cluster(fake).status("nope")
    assert str(caught.value) == (f"{fake.address}: GET /api/jobs/nope answered 404: "
                                 "Job nope does not exist")


def test_a_server_traceback_becomes_its_last_line(fake: FakeRay, archive: Path) -> None:
    fake.fail["/api/jobs/"] = (500, b"Traceback (most recent call last):\n  File x\n"
                                    b"ValueError: runtime_env is invalid\n\n")
    with pytest.raises(DestinationRequestError) as caught:
        cluster(fake).submit(archive, JobRequest())
    assert str(caught.value).endswith("POST /api/jobs/ answered 500: "
                                      "ValueError: runtime_env is invalid")
    assert caught.value.status == 500
    assert "\n" not in str(caught.value)


def test_an_answer_that_is_not_json_names_the_likely_mistake(fake: FakeRay) -> None:
    fake.fail["/api/version"] = (200, b"<html>grafana</html>")
    with pytest.raises(DestinationRequestError, match="Ray dashboard address"):
        cluster(fake).ray_version()


def test_a_json_answer_without_a_ray_version_is_not_a_dashboard(fake: FakeRay) -> None:
    fake.fail["/api/version"] = (200, json.dumps({"hello": 1}).encode())
    with pytest.raises(DestinationRequestError, match="not a Ray dashboard"):
        cluster(fake).ray_version()


def test_nothing_listening_is_unreachable_in_one_line() -> None:
    address = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(DestinationUnreachable) as caught:
        RayCluster(address).status("raysubmit_1")
    assert str(caught.value).startswith(f"{address}: cannot reach it (")
    assert "\n" not in str(caught.value)


def test_a_slow_answer_is_a_timeout(fake: FakeRay) -> None:
    fake.delay = 1.0
    with pytest.raises(DestinationTimeout) as caught:
        cluster(fake, timeout=0.2).status("raysubmit_1")
    assert str(caught.value) == f"{fake.address}: no answer within 0.2 s"


@pytest.mark.parametrize("address", ["ftp://host:1", "http://", "http:///x"])
def test_an_address_that_is_not_http_is_refused(address: str) -> None:
    with pytest.raises(DestinationUnreachable, match="not an http"):
        RayCluster(address)


def test_an_address_without_scheme_means_http_and_loses_its_trailing_slash() -> None:
    assert RayCluster("127.0.0.1:8265/").address == "http://127.0.0.1:8265"


@pytest.mark.parametrize(("text", "size"), [("512M", 512 << 20), ("4G", 4 << 30),
                                            ("4GiB", 4 << 30), ("1.5k", 1536), ("100", 100),
                                            ("2gb", 2 << 30)])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "4X", "-1G", "4ib"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_env_pairs_are_validated_and_the_last_value_wins() -> None:
    assert parse_env(["B=2", "A=", "B=3"]) == (("A", ""), ("B", "3"))
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_env(["NOEQUALS"])
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_env(["1X=2"])


def test_an_answer_over_the_size_cap_is_refused_not_held_in_memory(
    fake: FakeRay, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("jobpack.destinations.http.MAX_ANSWER", 1 << 20)
    fake.fail["/api/version"] = (200, b"x" * (3 << 20))  # a 3 MiB answer, cap 1 MiB
    with pytest.raises(DestinationRequestError, match="larger than 1 MiB"):
        cluster(fake).ray_version()


def test_a_status_answer_without_a_known_state_ends_the_polling(fake: FakeRay) -> None:
    fake.script = [("WHATEVER", "")]  # a malformed answer: once polled for ever
    with pytest.raises(DestinationRequestError, match="without a known status"):
        list(cluster(fake).follow("raysubmit_1"))


def test_a_quiet_job_is_polled_less_and_less_often(fake: FakeRay) -> None:
    fake.script = [("RUNNING", "")] * 8 + [("RUNNING", "a\n"), ("SUCCEEDED", "a\n")]
    waits: list[float] = []
    ray = RayCluster(fake.address, poll_seconds=1.0, sleep=waits.append)
    assert list(ray.follow("raysubmit_1")) == ["a\n"]
    assert waits[:3] == [1.0, 1.5, 2.25] and max(waits) <= 10.0
    assert 1.0 in waits[3:]  # new text: close again
