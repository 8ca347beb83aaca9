# expect: string annotation
import pydantic

dunder = "_" + "_"
M = pydantic.create_model("M", a=("()." + dunder + "class" + dunder, None))
