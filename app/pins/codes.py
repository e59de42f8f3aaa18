"""PIN digits: random from `secrets`, never trivial, unique among a lock's active codes."""

from __future__ import annotations

import secrets


def is_trivial(code: str) -> bool:
    """Tell whether a code is one repeated digit or a run going up or down by one, counting
    9 to 0 as a step up (789012) and 0 to 9 as a step down."""
    digits = [int(c) for c in code]
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({0}, {1}, {9})


def new_code(length: int, taken: set[str]) -> str:
    """Return a random non-trivial code of length digits that is not in taken."""
    if 10**length <= len(taken) * 2:
        raise ValueError(
            f"A lock with {len(taken)} active codes has too few {length}-digit "
            "codes left; raise PIN_LENGTH."
        )
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(length))
        if code not in taken and not is_trivial(code):
            return code
