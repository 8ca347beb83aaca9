# expect: has no attribute 'get_annotations'
import typing_extensions


def f(x: "open"):
    pass


typing_extensions.get_annotations(f, eval_str=True, globals={})["x"]("MARKER", "w")
