"""The undo/redo state machine behind the generate page's attribute edits, and the strict
parsing of the `attr_history` field it travels in."""

import json

import pytest
from django.http import QueryDict

from core.errors import InvalidInput
from generation.web.attribute_history import (
    MAX_FIELD_CHARS,
    MAX_STATES,
    AttributeHistory,
    history_from_post,
    pending_changes,
)


def _post(**fields) -> QueryDict:
    q = QueryDict(mutable=True)
    for k, v in fields.items():
        q[k] = v
    return q


def test_edit_undo_redo_and_a_new_edit_clears_redo():
    h = AttributeHistory()
    assert not h.can_undo and not h.can_redo and h.current == {}
    h = h.edit({"colors": "green"}).edit({"animal": "fox"})
    assert h.current == {"colors": ["green"], "animal": "fox"}
    h = h.undo()
    assert h.current == {"colors": ["green"]} and h.can_redo
    h = h.undo()
    assert h.current == {} and not h.can_undo
    assert h.undo().current == {}  # nothing further back: stays put
    h = h.redo()
    assert h.current == {"colors": ["green"]}
    h = h.edit({"age": "elderly"})
    assert h.current == {"colors": ["green"], "age": "elderly"}
    assert not h.can_redo  # the fox is gone for good
    assert h.redo().current == h.current
    assert list(h.states) == [{}, {"colors": ["green"]}, {"colors": ["green"], "age": "elderly"}]


def test_a_cleared_chip_drops_its_override_and_a_no_op_adds_no_state():
    h = AttributeHistory().edit({"colors": "green"})
    assert h.edit({"colors": "green"}) is h
    h = h.edit({"colors": ""})
    assert h.current == {} and len(h.states) == 3


def test_the_oldest_states_fall_off_past_the_cap():
    h = AttributeHistory()
    for i in range(MAX_STATES + 5):
        h = h.edit({"role": f"role {i}"})
    assert len(h.states) == MAX_STATES and h.current == {"role": f"role {MAX_STATES + 4}"}
    assert AttributeHistory.from_field(h.to_field()) == h


def test_round_trip_through_the_field_keeps_unicode():
    h = AttributeHistory().edit({"colors": "红色", "animal": "red panda"}).undo()
    text = h.to_field()
    assert "红色" in text
    assert AttributeHistory.from_field(text) == h


@pytest.mark.parametrize(
    "text,needle",
    [
        ("x" * (MAX_FIELD_CHARS + 1), "too long"),
        ("{not json", "not valid JSON"),
        ("[]", '"states"'),
        ('{"states": [{}], "at": 0, "extra": 1}', '"states"'),
        ('{"states": [], "at": 0}', "1 to"),
        (json.dumps({"states": [{}] * (MAX_STATES + 1), "at": 0}), "1 to"),
        ('{"states": [{}], "at": 1}', "out of range"),
        ('{"states": [{}], "at": true}', "out of range"),
        ('{"states": [{}], "at": "0"}', "out of range"),
        ('{"states": [{"wings": "big"}], "at": 0}', "Unknown attribute"),
        ('{"states": [{"colors": "x\\u0000"}], "at": 0}', "printable"),
        ('{"states": ["robot"], "at": 0}', "must be an object"),
    ],
)
def test_bad_history_is_refused_naming_the_field(text, needle):
    with pytest.raises(InvalidInput) as exc:
        AttributeHistory.from_field(text)
    assert exc.value.field.startswith("attr_history")
    assert needle in exc.value.message


def test_pending_changes_compare_chips_with_what_the_page_showed():
    post = _post(
        attr_subject="robot",
        shown_subject="robot",
        attr_colors="green",
        shown_colors="blue",
        attr_accessories="hat,glasses",
        shown_accessories="hat, glasses",
        attr_age="",
        shown_age="elderly",
        attr_role="pirate",  # an older page: no shown_ twin, counts when non-empty
        attr_history="",
    )
    assert pending_changes(post) == {"colors": "green", "age": "", "role": "pirate"}


def test_pending_chip_changes_are_an_edit_made_before_the_button():
    start = AttributeHistory().edit({"colors": "green"}).to_field()
    # Changed a chip, then pressed Undo: the change is what gets undone.
    history, action = history_from_post(
        _post(attr_history=start, attr_colors="red", shown_colors="green", action="undo")
    )
    assert action == "undo" and history.current == {"colors": ["green"]} and history.can_redo
    # Changed a chip, then pressed Redo: a new edit cleared the redo.
    undone = AttributeHistory.from_field(start).undo().to_field()
    history, _ = history_from_post(
        _post(attr_history=undone, attr_animal="fox", shown_animal="cat", action="redo")
    )
    assert history.current == {"animal": "fox"} and not history.can_redo
    # No action: Generate (what older pages post).
    assert history_from_post(_post(attr_colors="red"))[1] == "generate"


def test_an_unknown_action_or_chip_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as exc:
        history_from_post(_post(action="delete"))
    assert exc.value.field == "action"
    with pytest.raises(InvalidInput) as exc:
        history_from_post(_post(attr_wings="big"))
    assert exc.value.field == "attr"
    with pytest.raises(InvalidInput) as exc:
        history_from_post(_post(attr_colors="x" * 200))
    assert exc.value.field == "attr.colors"
