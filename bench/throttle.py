"""A slow link between a browser and a server, for the benchmarks: a TCP proxy on 127.0.0.1 that
adds a round-trip time (one RTT for each new connection's handshake, half an RTT each way for
data) and shares one download and one upload rate among all connections, as a real last mile
does. Unlike the DevTools throttle, it slows everything the browser fetches, from pages and
workers alike (Pagefind fetches from a Web Worker). This machine's kernel has no netem.
Usage: throttle.py LISTEN_PORT TARGET_PORT DOWN_BYTES_PER_S UP_BYTES_PER_S RTT_MS"""
import asyncio, sys, time

LISTEN, TARGET = int(sys.argv[1]), int(sys.argv[2])
DOWN, UP, RTT = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]) / 1000


class Link:
    """One direction of the bottleneck: bytes leave one after another at `rate`."""

    def __init__(self, rate):
        self.rate, self.free_at = rate, 0.0

    def sent_at(self, n):
        start = max(time.monotonic(), self.free_at)
        self.free_at = start + n / self.rate
        return self.free_at


down, up = Link(DOWN), Link(UP)


async def pipe(reader, writer, link):
    queue = asyncio.Queue()

    async def deliver():
        while (item := await queue.get()) is not None:
            at, data = item
            if (wait := at - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(deliver())
    try:
        while data := await reader.read(16384):
            await queue.put((link.sent_at(len(data)) + RTT / 2, data))
    finally:
        await queue.put(None)
        try:
            await task
        finally:
            writer.close()


async def handle(client_reader, client_writer):
    await asyncio.sleep(RTT)  # the handshake
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer, up), pipe(server_reader, client_writer, down),
                         return_exceptions=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
