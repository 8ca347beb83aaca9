# expect: cannot import name 'ImportString'
# ImportString imports whatever dotted path it is given.
from pydantic import ImportString, TypeAdapter

TypeAdapter(ImportString).validate_python("os.system")("touch MARKER")
