"""Label codes: one mistyped or swapped symbol is always caught; reading is forgiving."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from app.sampling import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH)


def test_new_codes_are_valid_distinct_and_typeable():
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    assert all(len(code) == 10 and codes.is_valid(code) for code in made)
    assert not set("".join(made)) - set(codes.ALPHABET)
    assert not set("ILOUZ") & set("".join(made))


@settings(max_examples=200, deadline=None)
@given(bodies)
def test_every_single_substitution_is_caught(body):
    code = body + codes.check_symbol(body)
    for position, symbol in itertools.product(range(len(code)), codes.ALPHABET):
        if symbol != code[position]:
            typo = code[:position] + symbol + code[position + 1 :]
            assert not codes.is_valid(typo), (code, typo)


@settings(max_examples=200, deadline=None)
@given(bodies)
def test_every_adjacent_swap_is_caught(body):
    code = body + codes.check_symbol(body)
    for position in range(len(code) - 1):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            assert not codes.is_valid(swapped), (code, swapped)


def test_reading_is_forgiving():
    body = "7KQ3M9XW2"
    code = body + codes.check_symbol(body)
    typed = f" {code[:5].lower()}-{code[5:]} "
    assert codes.normalize(typed) == code
    assert codes.normalize("o1l") == "011" and codes.normalize("uz") == "V2"
    assert codes.display(code) == f"{code[:5]}-{code[5:]}"
    assert not codes.is_valid("SHORT") and not codes.is_valid(code + "0")
