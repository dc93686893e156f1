# asyncio echo server for the echo bench (uvloop when Debian has it):
#   python3 echo_asyncio.py PORT
import asyncio
import sys

try:
    import uvloop
    uvloop.install()
except ImportError:
    pass


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
