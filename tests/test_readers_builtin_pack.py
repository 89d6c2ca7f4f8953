"""The raw corpus files scanned with the built-in pack give exactly the findings the corpus README lists.

tests/data/corpus/README.md, "formats/": s-csv-02 message 1 slang (in both CSV files), s-log-02 message 3
slang and slow-response, and nothing for the e-mails, whose quoted customer text holds slang, taboo phrases,
emoji and PII that a reader without quote cutting would hand to the rules.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from qa_linter.model import Conversation, InputProblem
from qa_linter.readers import read_paths

FORMATS = Path(__file__).parent / "data" / "corpus" / "formats"


def scan_file(linter, name: str) -> Counter:
    found: Counter = Counter()
    for item in read_paths([str(FORMATS / name)]):
        assert not isinstance(item, InputProblem), item
        assert isinstance(item, Conversation)
        for finding in linter.scan(item):
            found[(item.id, finding.message_index, finding.category)] += 1
    return found


def test_csv_exports(builtin_linter):
    for name in ("chat-export-gb18030.csv", "chat-export-utf8-bom.csv"):
        assert set(scan_file(builtin_linter, name)) == {("s-csv-02", 1, "slang")}, name


def test_console_log(builtin_linter):
    assert set(scan_file(builtin_linter, "console-chat-log.txt")) == {
        ("s-log-02", 3, "slang"), ("s-log-02", 3, "slow-response"),
    }


def test_emails_have_no_finding_from_quoted_text_or_signatures(builtin_linter):
    for name in ("email-qqmail-quote-multipart.eml", "email-applemail-quote.eml", "thread-refund.mbox"):
        assert scan_file(builtin_linter, name) == Counter(), name
