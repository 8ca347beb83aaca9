# expect: "__annotations__" is an invalid attribute name
import typing


def f(x):
    pass


setattr(f, "__annotations__", {"x": "().__class__.__base__"})
typing.get_type_hints(f)
