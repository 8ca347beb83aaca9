# expect: "__subclasses__" is an invalid attribute name
import operator

subclasses = operator.methodcaller("__subclasses__")(object)
for cls in subclasses:
    if "wrap_close" in repr(cls):
        operator.methodcaller("__init__")(cls)
