# expect: is not allowed
import typing

dunder = "_" + "_"
ref = typing.ForwardRef("()." + dunder + "class" + dunder)


class C:
    a: ref


typing.get_type_hints(C)
