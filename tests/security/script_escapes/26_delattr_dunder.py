# expect: "__doc__" is an invalid attribute name
class C:
    pass


delattr(C, "__doc__")
