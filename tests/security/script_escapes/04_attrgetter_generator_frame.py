# expect: "gi_frame" is a restricted name
import operator


def gen():
    yield 1


frame_globals = operator.attrgetter("gi_frame.f_globals")(gen())
frame_globals["__builtins__"]["__import__"]("os").system("touch MARKER")
