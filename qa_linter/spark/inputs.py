"""Input paths for a Spark scan: files and folders on any file system Spark reaches (local, HDFS, S3, …).

Folders are listed on the driver through Hadoop's FileSystem, as Spark itself would, so every file's format
is known before reading, missing inputs are reported as in a local scan, and each file is shown in problems
and sources under the name the user gave (`exports/day1.jsonl`, not `file:/home/…/exports/day1.jsonl`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from ..model import InputProblem

JSONL_EXTENSIONS = (".jsonl", ".json", ".ndjson")  # as readers.FORMATS["jsonl"]
PARQUET_EXTENSIONS = (".parquet", ".parq")
LOCAL_ONLY = {
    ".csv": "CSV", ".tsv": "TSV", ".tab": "TSV", ".xlsx": "Excel", ".xlsm": "Excel", ".eml": "e-mail",
    ".mbox": "e-mail", ".mbx": "e-mail", ".log": "chat-log", ".txt": "chat-log",
}


@dataclass
class InputFiles:
    jsonl: list[str] = field(default_factory=list)  # Spark's (qualified) names
    parquet: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # qualified name -> name shown
    problems: list[InputProblem] = field(default_factory=list)


def list_inputs(spark, paths: Iterable[str], input_format: str | None = None) -> InputFiles:
    """The JSON Lines and Parquet files under `paths`, and what could not be read, in the order given."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    found = InputFiles()
    for given in paths:
        # A local path is made absolute here: the JVM resolves relative ones against its own start folder.
        path = jvm.org.apache.hadoop.fs.Path(local_path(given))
        try:
            fs = path.getFileSystem(conf)
            exists = fs.exists(path)
        except Exception as exc:  # noqa: BLE001 - an unknown scheme, missing credentials: said once, scan goes on
            found.problems.append(InputProblem(given, None, f"cannot open: {_java_message(exc)}"))
            continue
        if not exists:
            found.problems.append(InputProblem(given, None, "no such file or folder"))
            continue
        qualified = fs.makeQualified(path).toString()
        if not fs.getFileStatus(path).isDirectory():
            _add(found, qualified, given, input_format, explicit=True)
            continue
        listed = []
        files = fs.listFiles(path, True)
        while files.hasNext():
            status = files.next()
            name = status.getPath().toString()
            relative = name[len(qualified):].lstrip("/")
            if any(part.startswith(("_", ".")) for part in relative.split("/")):
                continue  # _SUCCESS, .crc files, _temporary folders: Spark's and Hadoop's own
            listed.append((name, given.rstrip("/") + "/" + relative))
        for name, shown in sorted(listed):
            _add(found, name, shown, input_format, explicit=False)
    return found


def local_path(path: str) -> str:
    """A path without a scheme made absolute (the JVM would resolve it against the folder it started in);
    a URI (s3a://…, hdfs://…, file:…) as it is."""
    head, sep, _ = path.partition(":")
    if sep and len(head) > 1 and head.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return path
    return os.path.abspath(path)


def _add(found: InputFiles, name: str, shown: str, input_format: str | None, explicit: bool) -> None:
    suffix = "." + shown.rsplit(".", 1)[-1].lower() if "." in shown.rsplit("/", 1)[-1] else ""
    kind = input_format or ("jsonl" if suffix in JSONL_EXTENSIONS else "parquet" if suffix in PARQUET_EXTENSIONS else None)
    if kind in ("jsonl", "parquet"):
        getattr(found, kind).append(name)
        found.names[name] = shown
    elif input_format or suffix in LOCAL_ONLY:
        what = input_format or LOCAL_ONLY[suffix]
        found.problems.append(InputProblem(shown, None, f"{what} inputs are read by the local engine only; scan without "
                                                        "--engine spark, or turn them into JSON Lines with qa-lint convert"))
    elif explicit:
        found.problems.append(InputProblem(shown, None, "cannot tell the format from the name: name the file .jsonl or "
                                                        ".parquet, or give --input-format jsonl"))
    # other files in a scanned folder are not transcripts


def _java_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def displayed(column, names: dict[str, str]):
    """`column` (Spark's file name) as the name the user gave, where `names` knows it."""
    from pyspark.sql import functions as F

    if not names:
        return column
    mapping = F.create_map(*[F.lit(v) for pair in names.items() for v in pair])
    return F.coalesce(F.element_at(mapping, column), column)
