"""The exports' YAML writer: every value reads back exactly, multi-line text as a block."""

from __future__ import annotations

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from freqfleet.fleet.yamltext import documents, to_yaml

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
LINES = st.lists(
    st.text(st.sampled_from(list("ab #:-\t'\"é😀{}[]|>\\")), max_size=8), max_size=6
).map("\n".join)


@settings(max_examples=300, deadline=None)
@example(key="A\n", text="")  # a plain key may not end in a line break
@example(key="", text="\n ")
@example(key="", text=" \n\t\n")
@given(key=TEXT, text=st.one_of(TEXT, LINES, LINES.map(lambda t: t + "\n")))
def test_any_string_reads_back_exactly(key: str, text: str) -> None:
    document = {"data": {key or "k": text}, "items": [{"a": text, "b": [text, 1, True, None]}]}
    assert list(yaml.safe_load_all(documents(document, {"x": text}))) == [document, {"x": text}]


def test_file_contents_are_readable_blocks() -> None:
    source = "class A:\n    pass\n\n\n# end\n"
    text = to_yaml({"data": {"a.py": source, "b.json": '{\n    "x": 1\n}'}})
    assert text.splitlines()[:3] == ["data:", "  a.py: |", "    class A:"]
    assert "  b.json: |-" in text
    assert yaml.safe_load(text) == {"data": {"a.py": source, "b.json": '{\n    "x": 1\n}'}}


def test_keys_yaml_would_misread_are_quoted() -> None:
    value = {"on": 1, "no": 2, "8081": 3, "app.kubernetes.io/name": "x", "a: b": 4}
    assert yaml.safe_load(to_yaml(value)) == value
