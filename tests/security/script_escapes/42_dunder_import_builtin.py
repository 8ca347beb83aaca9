# expect: "__import__" is an invalid variable name
__import__("os").system("touch MARKER")
