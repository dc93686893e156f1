"""levee.json: strict JSON through levee's C++ tokenizer."""
import levee
from levee import json

print(json.loads('{"foo": "bar"}')["foo"])            # bar
print(json.loads(b"[1, 2.5, 18446744073709551616]"))  # [1, 2.5, 18446744073709551616]
print(json.dumps(["a", 1, {"k": "v"}]))                # ["a", 1, {"k": "v"}]

try:
    json.loads("[1, 2,]")
except levee.JSONError as e:
    print(e.name, e.offset)                            # ESYNTAX 6

d = json.Decoder()
print(d.feed(b'{"k": [1, '))                           # []
print(d.feed(b'2]} [3] 4'))                            # [{'k': [1, 2]}, [3]]
print(d.close())                                       # [4]
