# expect: may not name builtin_function_or_method
# type() reached through typing makes a class that claims to live in builtins;
# pydantic then evaluates its string annotation in builtins' namespace.
import typing
import pydantic

make = typing.get_origin(typing.Type[int])
M = make(
    "M",
    (pydantic.BaseModel,),
    {"__module__": "builtins", "__annotations__": {"a": "getattr"}, "__qualname__": "M"},
)
M.model_fields["a"].annotation
