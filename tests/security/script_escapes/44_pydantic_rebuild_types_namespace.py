# expect: string annotation
# A deferred annotation resolved later, against a namespace the script passes in.
import pydantic

dunder = "_" + "_"
late = "Later." + dunder + "class" + dunder


class M(pydantic.BaseModel):
    a: "Later"


M.model_rebuild(**{"_types_namespace": {"Later": int}, "force": True})
M2 = pydantic.create_model("M2", a=(late, None))
M2.model_rebuild(**{"_types_namespace": {"Later": ()}, "force": True})
