# expect: string annotation
# pydantic evaluates string annotations when it builds the model.
from pydantic import BaseModel

dunder = "_" + "_"
evil = "()." + dunder + "class" + dunder + "." + dunder + "base" + dunder


class M(BaseModel):
    x: evil
