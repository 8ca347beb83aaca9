# expect: "__class__" is an invalid attribute name
getattr((), "__class__")
