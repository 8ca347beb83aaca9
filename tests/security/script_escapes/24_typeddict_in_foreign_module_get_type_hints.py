# expect: may not name
# A class claiming another module: typing.get_type_hints evaluates there.
import typing

make = typing.get_origin(typing.Type[int])
C = make("C", (), {"__module__": "os", "__annotations__": {"a": "environ"}})
typing.get_type_hints(C)["a"]
