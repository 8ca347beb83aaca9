# expect: import of 'langchain_core.load' is not allowed
from langchain_core.load import loads

loads("{}")
