"""The pieces a turn is read by (a sequence rule's learned trigger, turns.py): one definition for the message-by-message
path and the block engine's numpy pass (blocks/turn_scores.py). The audience model reads a customer's pieces too
(audience.customer_pieces)."""
from __future__ import annotations

import regex

# Whitespace, and the separators that would end a line of the weights lexicon (str.splitlines), as one space.
WHITESPACE = regex.compile(r"[\s\x1c-\x1f\x85\u2028\u2029]+")
# The previous message's pieces are marked, so that 早说 said by the agent is not 早说 said by the customer.
BEFORE = "P:"


SIZES = (1, 2, 3)


def pieces(text: str) -> set[str]:
    """Every piece of one to three characters of `text`, each once."""
    return {text[i:i + n] for n in SIZES for i in range(len(text) - n + 1)}


def features(turn: str, before: str) -> frozenset[str]:
    """Every piece of one to three characters of `turn` that neither starts nor ends with a space (nor starts with
    #, a comment in the weights lexicon), and every two characters of `before` without a space, marked."""
    found = {piece for piece in pieces(WHITESPACE.sub(" ", turn)) if is_turn_piece(piece)}
    found.update(before_pieces(before))
    return frozenset(found)


def is_turn_piece(piece: str) -> bool:
    """Whether `piece` can be one of the pieces `features` takes from a turn (whatever the turn)."""
    return 0 < len(piece) <= max(SIZES) and piece[0] not in " #" and piece[-1] != " " and not piece.startswith(BEFORE)


def before_pieces(before: str) -> set[str]:
    """The pieces `features` takes from the message before the turn: every two characters without a space, marked."""
    text = WHITESPACE.sub(" ", before)
    return {BEFORE + text[i:i + 2] for i in range(len(text) - 1) if " " not in text[i:i + 2]}
