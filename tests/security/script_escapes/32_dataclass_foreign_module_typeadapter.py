# expect: may not name builtin_function_or_method
# dataclasses keeps field types as strings; pydantic evaluates them in the class's module.
import dataclasses
import pydantic

D = dataclasses.make_dataclass("D", [("a", "system")], namespace={"__module__": "posix"})
pydantic.TypeAdapter(D)
