# expect: may not name module
import typing
import pydantic

make = typing.get_origin(typing.Type[int])
M = make(
    "M",
    (pydantic.BaseModel,),
    {
        "__module__": "typing",
        "__annotations__": {"a": "sys"},
        "__qualname__": "M",
        "model_config": {"arbitrary_types_allowed": True},
    },
)
M.model_fields["a"].annotation.modules["os"].system("touch MARKER")
