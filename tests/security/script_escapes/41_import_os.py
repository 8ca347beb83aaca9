# expect: import of 'os' is not allowed
import os

os.system("touch MARKER")
