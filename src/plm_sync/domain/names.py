"""Product names: Connect item names carry an artificial parenthesised suffix PLM does not want."""

from __future__ import annotations


def strip_name_suffix(name: str) -> str:
    """Remove the last parenthesised part of an item name.

    Rules:
    - `Cloud Service (NCE COM BAS 1YR ANN)` -> `Cloud Service`;
    - only the **last** group goes, and only when it ends the name:
      `Stream Storage (500 GB) (NCE COM ADD 1YR ANN)` -> `Stream Storage (500 GB)`;
    - nested parentheses inside the suffix are matched: `A (B (C))` -> `A`;
    - a name without such a suffix stays as it is (surrounding white space trimmed);
    - the result is never empty: a name that is only a suffix stays whole.
    """
    text = name.strip()
    if not text.endswith(")"):
        return text
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                stripped = text[:index].rstrip()
                return stripped or text
    return text
