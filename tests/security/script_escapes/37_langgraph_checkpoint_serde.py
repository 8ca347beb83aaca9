# expect: import of 'langgraph.checkpoint.serde.jsonplus' is not allowed
# The checkpoint serializer revives objects by module and class name.
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

JsonPlusSerializer().loads_typed(("json", b"{}"))
