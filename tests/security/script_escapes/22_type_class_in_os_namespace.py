# expect: may not name builtin_function_or_method
import typing
import pydantic

make = typing.get_origin(typing.Type[int])
M = make(
    "M",
    (pydantic.BaseModel,),
    {"__module__": "os", "__annotations__": {"a": "system"}, "__qualname__": "M"},
    )
M.model_fields["a"].annotation("touch MARKER")
