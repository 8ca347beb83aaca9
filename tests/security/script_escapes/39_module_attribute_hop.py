# expect: access to module 'sys' is not allowed
import dataclasses

dataclasses.sys.modules["os"].system("touch MARKER")
