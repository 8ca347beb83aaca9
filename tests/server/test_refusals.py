"""A request refused for several fields names each of them, in the message and the details."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, model_validator

from orcheo_jupyter.server.errors import ApiError
from orcheo_jupyter.server.intake import decode_json, validate_body
from orcheo_jupyter.spec.problems import Problem
from orcheo_jupyter.spec.values import ValueLimits


def test_a_listing_names_each_field_and_the_whole_body_as_body() -> None:
    problems = [
        Problem("error", "too_small", "must be 1 or more", field="query.limit"),
        Problem("error", "odd", "not an object"),
    ]
    error = ApiError.listing(422, "invalid_query", problems)
    assert (error.status_code, error.code) == (422, "invalid_query")
    assert error.message == "query.limit: must be 1 or more; body: not an object"
    assert error.details == [p.as_dict() for p in problems]


def _decoded(raw: bytes) -> ApiError:
    with pytest.raises(ApiError) as refused:
        decode_json(raw, "application/json", body_limit=10_000, limits=ValueLimits())
    return refused.value


def test_values_no_run_could_store_are_each_named() -> None:
    error = _decoded(b'{"inputs": {"big": 18446744073709551616, "n": 1e400}}')
    assert (error.status_code, error.code) == (400, "invalid_value")
    assert [d["field"] for d in error.details] == ["inputs.big", "inputs.n"]
    assert error.message == "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
    whole = _decoded(b"1e400")
    assert [d["field"] for d in whole.details] == ["body"]
    assert whole.message.startswith("body: inf is not a finite number")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int = 0
    b: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> _Body:
        if self.a > self.b:
            raise ValueError("a must not exceed b")
        return self


def test_a_body_that_does_not_fit_its_model_names_each_field() -> None:
    with pytest.raises(ApiError) as refused:
        validate_body({"a": "x", "c": 1}, _Body, "invalid_request")
    error = refused.value
    assert (error.status_code, error.code) == (422, "invalid_request")
    assert [d["field"] for d in error.details] == ["a", "c"]
    assert error.message == (
        "a: Input should be a valid integer; c: unknown key (not part of the document format)"
    )
    with pytest.raises(ApiError) as whole:
        validate_body({"a": 2, "b": 1}, _Body, "invalid_request")
    assert whole.value.message == "body: Value error, a must not exceed b"
    assert whole.value.details[0]["field"] is None  # the problem itself names no field
