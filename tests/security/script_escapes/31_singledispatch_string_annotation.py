# expect: string annotation
# functools.singledispatch reads the registered function's annotations.
import functools

dunder = "_" + "_"
evil = "()." + dunder + "class" + dunder


@functools.singledispatch
def f(x):
    return x


def h(x: evil):
    return x


f.register(h)
