"""S3Sink: encrypted puts with the right content types, no overwrite when asked, clear errors;
produced files spooled, rendered once and all before the first put."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from auditor.sink import SPOOL_MEMORY, S3Sink, Sink, SinkError, content_type, write_each

BUCKET = "iam-auditor-reports-test"
FILES = {
    "report.json": b'{"a": 1}\n',
    "report.csv": "\ufeffa,b\r\n".encode(),
    "report.html": b"<!doctype html><p>x</p>",
}


@pytest.fixture
def s3(aws_session: boto3.Session) -> Any:
    client = aws_session.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_is_a_sink(s3: Any) -> None:
    sink: Sink = S3Sink(s3, BUCKET, "p")
    assert sink.write({"report.json": b"{}"}) == [f"s3://{BUCKET}/p/report.json"]


def test_puts_every_file_with_sse_s3_and_its_content_type(s3: Any) -> None:
    uris = S3Sink(s3, BUCKET, "iam-auditor/123456789012/latest").write(FILES)
    keys = [f"iam-auditor/123456789012/latest/{name}" for name in FILES]
    assert uris == [f"s3://{BUCKET}/{key}" for key in keys]
    expected_types = ["application/json", "text/csv; charset=utf-8", "text/html; charset=utf-8"]
    for key, name, expected_type in zip(keys, FILES, expected_types, strict=True):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert "SSEKMSKeyId" not in head
        assert head["ContentType"] == expected_type
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == FILES[name]


def test_kms_key_gives_sse_kms_with_that_key(aws_session: boto3.Session, s3: Any) -> None:
    key_id = aws_session.client("kms").create_key()["KeyMetadata"]["KeyId"]
    S3Sink(s3, BUCKET, "p", kms_key_id=key_id).write(FILES)
    for name in FILES:
        head = s3.head_object(Bucket=BUCKET, Key=f"p/{name}")
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"].endswith(key_id)


def test_prefix_slashes_are_normalised(s3: Any) -> None:
    sink = S3Sink(s3, BUCKET, "/a//b/")
    assert sink.key("report.json") == "a/b/report.json"
    assert S3Sink(s3, BUCKET, "").key("report.json") == "report.json"


def test_overwrite_true_replaces_the_object(s3: Any) -> None:
    sink = S3Sink(s3, BUCKET, "latest")
    sink.write({"report.json": b"old"})
    sink.write({"report.json": b"new"})
    assert s3.get_object(Bucket=BUCKET, Key="latest/report.json")["Body"].read() == b"new"


def test_overwrite_false_never_replaces_an_existing_object(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="dated/report.csv", Body=b"first")
    sink = S3Sink(s3, BUCKET, "dated", overwrite=False)
    with pytest.raises(SinkError) as caught:
        sink.write({"report.json": b"new json", "report.csv": b"second"})
    message = str(caught.value)
    assert f"s3://{BUCKET}/dated/report.csv" in message
    assert "PreconditionFailed" in message
    assert "never overwritten" in message
    assert s3.get_object(Bucket=BUCKET, Key="dated/report.csv")["Body"].read() == b"first"
    # A new key is still written once.
    assert s3.get_object(Bucket=BUCKET, Key="dated/report.json")["Body"].read() == b"new json"


def test_missing_bucket_is_a_clear_error(s3: Any) -> None:
    with pytest.raises(SinkError) as caught:
        S3Sink(s3, "no-such-bucket-here", "p").write({"report.json": b"{}"})
    message = str(caught.value)
    assert "s3://no-such-bucket-here/p/report.json" in message
    assert "NoSuchBucket" in message
    assert "does not exist" in message


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("AccessDenied", "s3:PutObject"),
        ("KMS.NotFoundException", "kms:GenerateDataKey"),
        ("KMS.DisabledException", "KMS key cannot be used"),
    ],
)
def test_access_and_kms_errors_name_bucket_key_and_code(code: str, hint: str) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("put_object", service_error_code=code, http_status_code=403)
        with pytest.raises(SinkError) as caught:
            S3Sink(client, BUCKET, "p", kms_key_id="alias/reports").write({"report.html": b"x"})
    message = str(caught.value)
    assert f"s3://{BUCKET}/p/report.html" in message
    assert code in message
    assert hint in message


def test_put_parameters_exactly(s3: Any) -> None:
    """What is sent: SSE and SSEKMSKeyId together, IfNoneMatch only without overwrite."""
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {},
            {
                "Bucket": BUCKET,
                "Key": "d/report.json",
                "Body": b"{}",
                "ContentType": "application/json",
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": "alias/reports",
                "IfNoneMatch": "*",
            },
        )
        stub.add_response(
            "put_object",
            {},
            {
                "Bucket": BUCKET,
                "Key": "l/report.json",
                "Body": b"{}",
                "ContentType": "application/json",
                "ServerSideEncryption": "AES256",
            },
        )
        S3Sink(client, BUCKET, "d", kms_key_id="alias/reports", overwrite=False).write(
            {"report.json": b"{}"}
        )
        S3Sink(client, BUCKET, "l").write({"report.json": b"{}"})
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "..\\x", "x\x00"])
def test_names_must_be_plain_and_nothing_is_written(s3: Any, name: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        S3Sink(s3, BUCKET, "p").write({"report.json": b"{}", name: b"x"})
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_bucket_is_required(s3: Any) -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3Sink(s3, "", "p")


def test_content_types() -> None:
    assert content_type("org-summary.JSON") == "application/json"
    assert content_type("x.csv") == "text/csv; charset=utf-8"
    assert content_type("x.html") == "text/html; charset=utf-8"
    assert content_type("snapshot.bin") == "application/octet-stream"


# --- produced files: spooled, rendered once, all before the first put ----------------------


def _produced(*chunks: bytes) -> Callable[[], Iterator[bytes]]:
    def produce() -> Iterator[bytes]:
        yield from chunks

    return produce


class Recorder:
    """Wraps an S3 client: records each put's key and what its body was, then puts it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.puts: list[tuple[str, Any]] = []

    def put_object(self, **params: Any) -> Any:
        self.puts.append((params["Key"], params["Body"]))
        return self.client.put_object(**params)


def test_produced_files_are_spooled_and_put_from_a_file(s3: Any) -> None:
    """A file larger than the spool's memory goes through a temp file, never whole bytes."""
    piece = bytes(range(256)) * 256  # 64 KiB
    count = SPOOL_MEMORY // len(piece) * 3
    recorder = Recorder(s3)
    sink = S3Sink(recorder, BUCKET, "p", kms_key_id=None)
    uris = sink.write({"report.csv": _produced(*[piece] * count), "report.json": b"{}"})
    assert uris == [f"s3://{BUCKET}/p/report.csv", f"s3://{BUCKET}/p/report.json"]
    body = s3.get_object(Bucket=BUCKET, Key="p/report.csv")["Body"].read()
    assert body == piece * count
    head = s3.head_object(Bucket=BUCKET, Key="p/report.csv")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "text/csv; charset=utf-8"
    [(csv_key, spool), (json_key, whole)] = recorder.puts
    assert (csv_key, json_key, whole) == ("p/report.csv", "p/report.json", b"{}")
    assert not isinstance(spool, bytes | bytearray)
    assert spool.closed  # the spool is gone once the write returns


def test_produced_files_with_a_kms_key(aws_session: boto3.Session, s3: Any) -> None:
    key_id = aws_session.client("kms").create_key()["KeyMetadata"]["KeyId"]
    S3Sink(s3, BUCKET, "p", kms_key_id=key_id).write({"report.html": _produced(b"<p>", b"x")})
    head = s3.head_object(Bucket=BUCKET, Key="p/report.html")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"].endswith(key_id)) == (
        "aws:kms",
        True,
    )
    assert s3.get_object(Bucket=BUCKET, Key="p/report.html")["Body"].read() == b"<p>x"


def test_renderer_failing_half_way_puts_nothing(s3: Any) -> None:
    """Every file is rendered before the first put: a dated key is not spent on a run whose
    later file could not be rendered."""

    def broken() -> Iterator[bytes]:
        yield b"[\n"
        raise RuntimeError("renderer broke half-way")

    sink = S3Sink(s3, BUCKET, "dated", overwrite=False)
    with pytest.raises(RuntimeError, match="half-way"):
        sink.write({"report.json": _produced(b"{}"), "report.ocsf.json": broken})
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_write_each_renders_once_and_writes_dated_before_latest(s3: Any) -> None:
    calls: list[str] = []

    def produce() -> Iterator[bytes]:
        calls.append("json")
        yield b'{"a": 1}\n'

    recorder = Recorder(s3)
    dated = S3Sink(recorder, BUCKET, "acct/2026/11/23", overwrite=False)
    latest = S3Sink(recorder, BUCKET, "acct/latest")
    uris = write_each([dated, latest], {"report.json": produce, "report.csv": b"a\r\n"})
    assert calls == ["json"]
    assert uris == [
        [f"s3://{BUCKET}/acct/2026/11/23/report.json", f"s3://{BUCKET}/acct/2026/11/23/report.csv"],
        [f"s3://{BUCKET}/acct/latest/report.json", f"s3://{BUCKET}/acct/latest/report.csv"],
    ]
    assert [key for key, _ in recorder.puts] == [
        "acct/2026/11/23/report.json",
        "acct/2026/11/23/report.csv",
        "acct/latest/report.json",
        "acct/latest/report.csv",
    ]
    for prefix in ("acct/2026/11/23", "acct/latest"):
        got = s3.get_object(Bucket=BUCKET, Key=f"{prefix}/report.json")["Body"].read()
        assert got == b'{"a": 1}\n'


def test_write_each_stops_at_a_dated_key_that_exists(s3: Any) -> None:
    """A refused dated put leaves latest/ alone, as when each sink was written in turn."""
    s3.put_object(Bucket=BUCKET, Key="d/report.json", Body=b"first")
    dated = S3Sink(s3, BUCKET, "d", overwrite=False)
    latest = S3Sink(s3, BUCKET, "l")
    with pytest.raises(SinkError, match="PreconditionFailed"):
        write_each([dated, latest], {"report.json": _produced(b"second")})
    assert s3.get_object(Bucket=BUCKET, Key="d/report.json")["Body"].read() == b"first"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="l/")
