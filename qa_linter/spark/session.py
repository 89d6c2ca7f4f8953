"""A Spark session for `qa-lint scan --engine spark`, quiet and with what the Python workers need.

- The workers run the interpreter that runs qa-lint (PYSPARK_PYTHON), not the first python3 on PATH.
- Times are read and written in UTC (spark.sql.session.timeZone), so a timestamp column means the same
  instant on every machine.
- No progress bars or INFO logging on the terminal: log4j at error level, console progress off.
On a cluster, spark-submit's own settings (master, memory, Python) win over these defaults.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

LOG4J = Path(__file__).with_name("log4j2.properties")  # errors only; no "Setting default log level" line

DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.python.worker.reuse": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def is_local(master: str | None) -> bool:
    return master is None or master.startswith("local")


def get_session(master: str | None = None, app_name: str = "qa-lint scan", conf: dict | None = None):
    """The running session if there is one (spark-submit, a notebook), else a new one for `master`."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if is_local(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network look-up of the machine's name
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    elif not os.environ.get("SPARK_HOME") and "spark.master" not in (conf or {}):
        builder = builder.master("local[*]")
    settings = dict(DEFAULTS)
    if is_local(master):
        settings["spark.ui.enabled"] = "false"
    settings.update(conf or {})
    java = f"-Dlog4j2.configurationFile={LOG4J.as_uri()}"
    settings["spark.driver.extraJavaOptions"] = (settings.get("spark.driver.extraJavaOptions", "") + " " + java).strip()
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
