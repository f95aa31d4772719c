"""Label codes: 9 random symbols and a check symbol, from an alphabet a person can type.

The alphabet is Crockford's base 32 without Z: 31 symbols, a prime, so a weighted sum modulo
31 catches every single mistyped symbol and every swap of two neighbours (the check symbol
included). Reading is forgiving: case, spaces and dashes are ignored, O reads as 0, I and L
as 1, Z as 2 and U as V.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
MODULUS = len(ALPHABET)  # 31, prime
BODY_LENGTH = 9
CODE_LENGTH = BODY_LENGTH + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "Z": "2", "U": "V"})


def _weighted_sum(symbols: str) -> int:
    return sum((position + 1) * _VALUE[symbol] for position, symbol in enumerate(symbols))


def check_symbol(body: str) -> str:
    """The symbol that makes the weighted sum of body + symbol a multiple of 31."""
    weight = len(body) + 1
    inverse = pow(weight, -1, MODULUS)
    return ALPHABET[(-_weighted_sum(body) * inverse) % MODULUS]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def normalize(text: str) -> str:
    """The code as stored: upper case, no separators, look-alike letters read as digits."""
    return "".join((text or "").split()).replace("-", "").upper().translate(_LOOKALIKES)


def is_valid(code: str) -> bool:
    """True for a well-formed code whose check symbol matches (after normalize)."""
    return (
        len(code) == CODE_LENGTH
        and all(symbol in _VALUE for symbol in code)
        and _weighted_sum(code) % MODULUS == 0
    )


def display(code: str) -> str:
    """Grouped for reading aloud and typing: 7KQ3M-9XW2H."""
    return f"{code[:5]}-{code[5:]}"
