# expect: cannot import name 'sys'
from typing import sys

sys.modules["os"].system("touch MARKER")
