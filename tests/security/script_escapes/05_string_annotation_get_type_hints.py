# expect: string annotation
import typing


class C:
    a: "().__class__.__base__.__subclasses__()"


typing.get_type_hints(C)
