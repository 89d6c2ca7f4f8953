"""`qa-lint scan --mask-pii`: the data outputs (text, JSON, JSON Lines) without customer PII.

HTML pages and the results store mask PII themselves (docs/security.md). The data outputs carry offsets
into the original message, so here each message is masked *length for length* (every hidden character becomes
one `*`): a finding's `start`/`end` still point at the same place, its `text` is the masked slice, and its
message and suggestion are masked like the pages mask them. The sink wraps another sink and hands it the
masked conversation and findings; scores and summaries are computed before, on the original.
"""
from __future__ import annotations

from dataclasses import replace

from ..masking import Masker, mask_finding
from ..model import Conversation, Finding


class MaskPiiSink:
    def __init__(self, sink, masker: Masker):
        self.sink = sink
        self.masker = masker

    def conversation(self, conv: Conversation, findings: list[Finding], extra: dict | None = None) -> None:
        masked_conv, masked_findings = mask_conversation(self.masker, conv, findings)
        self.sink.conversation(masked_conv, masked_findings, extra)

    def close(self, summary: dict, header: dict) -> None:
        self.sink.close(summary, {**header, "pii_masked": True})


def mask_conversation(masker: Masker, conv: Conversation, findings: list[Finding]) -> tuple[Conversation, list[Finding]]:
    """The conversation with every message masked length for length, and its findings masked to match."""
    prepared = [masker.prepare(m.text) for m in conv.messages]
    shown = [p.same_length() for p in prepared]
    messages = [m._replace(text=text) if text != m.text else m for m, text in zip(conv.messages, shown)]
    out = []
    for f in findings:
        if 0 <= f.message_index < len(conv.messages):
            original = conv.messages[f.message_index].text
            masked = mask_finding(masker, f, original, prepared[f.message_index])
            if masked.located:
                text = shown[f.message_index][f.start : f.end]
                message = masker.mask(f.message.replace(f.text, text)) if f.text else masked.message
            else:
                text, message = masker.mask(f.text), masked.message
            out.append(replace(f, text=text, message=message, suggestion=masked.suggestion))
        else:
            out.append(replace(f, text=masker.mask(f.text), message=masker.mask(f.message),
                               suggestion=masker.mask(f.suggestion)))
    return replace(conv, messages=messages, meta=_masked_meta(masker, conv.meta)), out


def _masked_meta(masker: Masker, meta: dict) -> dict:
    """Free-text meta fields (an e-mail subject, a customer note) can hold PII too."""
    return {k: masker.mask(v) if isinstance(v, str) else v for k, v in meta.items()}
