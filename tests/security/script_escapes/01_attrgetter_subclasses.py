# expect: "__class__" is an invalid attribute name
# operator.attrgetter walks a dotted path named by a string, past RestrictedPython's checks.
import operator

subclasses = operator.attrgetter("__class__.__base__.__subclasses__")(())()
for cls in subclasses:
    if operator.attrgetter("__name__")(cls) == "_wrap_close":
        operator.attrgetter("__init__.__globals__")(cls)["system"]("touch MARKER")
