# expect: unexpected keyword argument 'module'
# A forward reference bound to another module is evaluated in that module's namespace.
import typing

ref = typing.ForwardRef("system", module="os")


class C:
    a: ref


typing.get_type_hints(C)["a"]("touch MARKER")
