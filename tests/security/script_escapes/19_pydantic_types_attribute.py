# expect: has no attribute 'types'
import pydantic

pydantic.TypeAdapter(pydantic.types.ImportString).validate_python("os.system")("touch MARKER")
