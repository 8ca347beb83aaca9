# expect: is not allowed in scripts
# A model created "in" builtins evaluates its field types there: "getattr" is the real one.
import pydantic

options = {"__module__": "builtins", "a": ("getattr", None)}
M = pydantic.create_model("M", **options)
M.model_fields["a"].annotation
