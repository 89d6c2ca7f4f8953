"""The block engine: `scan` over thousands of messages at once, with the findings of Linter.scan.

A batch scan hands input items to `scan_block` in blocks (about 4,000 messages). For each block:

1. read (records.py): JSON Lines records decoded with orjson into flat lists of roles, texts and times;
2. fold (fold.py): every text folded for matching at once (normalize()'s result, offsets included);
3. pass (candidates.py): one multi-pattern pass over the folded block for every term list of the pack,
   hits mapped back to their messages with numpy.searchsorted, kept as per-message bits;
4. plan (index.py and each rule type's `block_targets`): numpy masks say on which conversations each rule
   can report anything at all;
5. rules: only those conversations get views (views.py), and the rules run on them unchanged: the same
   matchers, word boundaries, clause conditions and exceptions as the per-message path, computed lazily.

A message without a candidate of any rule's terms never becomes a view; a conversation no rule has to look at
never becomes a Conversation object unless an output prints it. The per-message path (Linter.scan) stays what
the pre-send check and the tests use; tests/test_block_engine.py holds the two to identical findings.
"""
from .engine import prepare, scan_block

__all__ = ["prepare", "scan_block"]
