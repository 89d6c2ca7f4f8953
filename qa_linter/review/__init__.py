"""The QA team's review loop over the results store: review sheets, verdicts, agreement, suppressions, replay.

docs/review.md explains the sheet and the statistics. The modules:
- fingerprint: (qa_linter/fingerprint.py gives a finding its stable id, which survives re-scans);
- sample / sheet_io: choosing conversations and writing / reading review sheets (xlsx, CSV);
- verdicts: importing filled sheets into the store;
- agreement: precision with Wilson intervals, Cohen's and Fleiss' kappa (pure arithmetic);
- stats, stats_render: the statistics over stored verdicts, and their text / JSON / HTML forms;
- suppressions: qa-linter-suppressions.yaml, applied by `scan`;
- replay, replay_render: re-scanning stored transcripts with changed rules, and the difference.
"""
