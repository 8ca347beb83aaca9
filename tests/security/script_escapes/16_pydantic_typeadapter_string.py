# expect: string annotation
from pydantic import TypeAdapter

dunder = "_" + "_"
TypeAdapter("()." + dunder + "class" + dunder)
