"""Numbers read from outside: any text at all gives a number in range or None, never an error."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pepptalk.core.kinds import Mood
from pepptalk.core.values import MAX_ID, whole_number
from pepptalk.handlers.grammar import read_id


def test_digits_other_scripts_call_digits_are_no_number() -> None:
    assert [whole_number(t) for t in ("³", "²", "١٢", "１２", "1.5", "-1", "", " 1")] == [None] * 8
    assert whole_number("9" * 100_000) is None
    assert whole_number(str(MAX_ID)) == MAX_ID and whole_number(str(MAX_ID + 1)) is None
    assert whole_number("007") == 7
    assert [Mood.parse(t) for t in ("0", "1", "5", "6", "³")] == [None, 1, 5, None, None]


@given(st.one_of(st.text(), st.from_regex(r"[0-9]{1,40}", fullmatch=True)))
def test_any_text_reads_as_an_id_in_range_or_none(text: str) -> None:
    value = read_id(text)
    assert value is None or (0 <= value <= MAX_ID and str(value) == (text.lstrip("0") or "0"))
    assert Mood.parse(text) in (None, *Mood)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_any_json_value_reads_as_no_number_unless_it_is_digits(value: object) -> None:
    assert whole_number(value) is None or isinstance(value, str)
