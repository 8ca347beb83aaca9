# expect: unexpected keyword argument 'module'
from pydantic import TypeAdapter

TypeAdapter("system", module="os")
