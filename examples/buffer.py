# The d.Buffer example of the original levee's documentation, in Python's idiom.
import levee

buf = levee.Buffer()

buf.ensure(3)
buf.tail()[:3] = b"foo"
buf.bump(3)
print(bytes(buf.value()))  # b'foo'

buf.write(b"bar")
print(bytes(buf.value()))  # b'foobar'

print(bytes(buf.value(3)))  # b'foo'
print(bytes(buf.value(3, 1)))  # b'b'

buf.trim()
print(bytes(buf.value()), len(buf))  # b'' 0
