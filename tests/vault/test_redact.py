"""The per-run redactor: resolved values and their common encodings, in any run value."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.types import Command

from orcheo_jupyter.runtime.redact import Redactor
from orcheo_jupyter.runtime.secrets import SecretRef, find_refs, parse_ref


def test_values_and_their_encodings_are_replaced_with_the_credential_name() -> None:
    redactor = Redactor()
    assert not redactor and redactor.scrub({"a": "sup3rsecret"}) == {"a": "sup3rsecret"}
    redactor.add("p@ss w/rd!", "pw")
    assert redactor
    text = 'q=p%40ss%20w%2Frd%21 form=p%40ss+w%2Frd%21 json="p@ss w/rd!"'
    assert redactor.text(text) == 'q=[redacted:pw] form=[redacted:pw] json="[redacted:pw]"'
    redactor.add('quote"d', "q")
    assert redactor.text('{"v": "quote\\"d"}') == '{"v": "[redacted:q]"}'
    redactor.add("abc", "short")  # too short to scrub without destroying outputs
    assert redactor.text("abcdef") == "abcdef"


def test_every_kind_of_run_value_is_scrubbed_and_untouched_parts_are_shared() -> None:
    redactor = Redactor()
    redactor.add("sup3rsecret", "k")
    keep = {"n": 1}
    value = {
        "text": "key=sup3rsecret",
        "list": ["sup3rsecret", 2, None, True],
        "tuple": ("sup3rsecret",),
        "bytes": b"..sup3rsecret..",
        "same": keep,
    }
    assert redactor.scrub(value) == {
        "text": "key=[redacted:k]",
        "list": ["[redacted:k]", 2, None, True],
        "tuple": ("[redacted:k]",),
        "bytes": b"..[redacted:k]..",
        "same": {"n": 1},
    }
    assert redactor.scrub(value)["same"] is keep
    message = AIMessage(content="it is sup3rsecret", additional_kwargs={"t": "sup3rsecret"})
    (clean,) = redactor.scrub({"messages": [message]})["messages"]
    assert (clean.content, clean.additional_kwargs) == ("it is [redacted:k]", {"t": "[redacted:k]"})
    command = redactor.scrub(Command(update={"results": {"a": "sup3rsecret"}}, goto="b"))
    assert (command.update, command.goto) == ({"results": {"a": "[redacted:k]"}}, "b")
    error = redactor.scrub(ValueError("bad sup3rsecret"))
    assert str(error) == "bad [redacted:k]"


def test_only_exact_references_count() -> None:
    assert parse_ref("[[github]]") == SecretRef("github")
    assert parse_ref("[[ gh.token-1 #oauth.access_token ]]") == SecretRef(
        "gh.token-1", "oauth.access_token"
    )
    for text in ("Bearer [[github]]", "[[github]] ", "[[]]", "[[has space]]", "{{github}}", 7):
        assert parse_ref(text) is None, text
    config = {"headers": {"Authorization": "[[a]]"}, "list": ["x", "[[b#oauth.refresh_token]]"]}
    assert find_refs(config) == [
        (("headers", "Authorization"), SecretRef("a")),
        (("list", 1), SecretRef("b", "oauth.refresh_token")),
    ]
