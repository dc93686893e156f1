"""levee errors in Python: exceptions that are also the builtin ones."""
import levee
from levee import errors

try:
    errors.check(-111)
except ConnectionRefusedError as e:
    print(type(e).__name__, e.code, e.name, e.msg)   # ConnectionRefused -111 ECONNREFUSED connection refused

try:
    errors.check(levee.lib.LEVEE_TIMEOUT)
except TimeoutError as e:
    print(e)                                        # operation timed out (levee.TIMEOUT)
