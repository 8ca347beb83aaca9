# expect: string annotation
import typing

dunder = "_" + "_"
evil = "()." + dunder + "class" + dunder


class C:
    a: typing.Optional[evil]


typing.get_type_hints(C)
