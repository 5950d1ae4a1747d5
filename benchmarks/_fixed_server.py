"""A server that answers every request with the same bytes, for measuring a client's own cost.

``python -m benchmarks._fixed_server`` prints one JSON line (``{"port": N}``) when it listens on
127.0.0.1, then serves until stdin closes. A POST whose path ends in ``/token`` gets a token reply;
a GET gets an empty listing; every other request gets the reply the sandbox gives to a company
create (captured once, stored below), with HTTP/1.1 keep-alive. Parsing is the least HTTP needs
(the head, ``Content-Length``), so the server spends a few percent of a core while a client runs
flat out: the client, not the server, sets the pace.
"""

from __future__ import annotations

import asyncio
import json
import sys

#: The sandbox's reply to ``POST /management/companies`` (status 200), byte for byte.
COMPANY = (
    b'{"success":true,"result":{"id":"6b0fc9e30000000000000005","name":"x","contact":{"id":'
    b'"6b0fc9e30000000000000004","first_name":"A","last_name":"B","email":"a@example.nl",'
    b'"phone":"+31612345678","language":"nl"},"package":{"id":"594a5befcc9d4f9e2f1da19a",'
    b'"name":"premium","features":["weseedo_personal","weseedo_direct","weseedo_direct_2way",'
    b'"chat","agent_create_appointment","weseedo_personal_sms","button","forward",'
    b'"multiple_participants","appointment","send_file","screenshot","presentation_pdf",'
    b'"presentation_powerpoint","screensharing","cobrowsing_simple","convert_file",'
    b'"waitingroom"]},"dealer":{"id":"6b0fc9e30000000000000003","name":"d","contact":{"id":'
    b'"6b0fc9e30000000000000002","first_name":"A","last_name":"B","email":"a@example.nl",'
    b'"phone":"+31612345678","language":"nl"},"notification_contact":null,"suspended":false},'
    b'"suspended":false}}'
)
EMPTY_LIST = b'{"success":true,"result":[]}'
TOKEN = (
    b'{"access_token": "466fb97745a5b3aa99640b99965e36972b0db09866e02acd2f5e7956ba27d627", '
    b'"expires": "2099-12-02T08:33:50.562Z", "token_type": "Bearer"}'
)


def _reply(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


COMPANY_REPLY = _reply(COMPANY)
TOKEN_REPLY = _reply(TOKEN)
LIST_REPLY = _reply(EMPTY_LIST)


class FixedReply(asyncio.Protocol):
    """Reads requests off one connection and answers each with its fixed reply, in order."""

    def __init__(self, counts: list[int]) -> None:
        self._buffer = b""
        self._counts = counts
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data
        out: list[bytes] = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            at = head.lower().find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17: stop if stop >= 0 else len(head)])
            if len(buffer) < end + 4 + length:
                break
            line = head[: head.find(b"\r\n")]
            path = line.split(b" ", 2)[1]
            if line.startswith(b"GET "):
                out.append(LIST_REPLY)
            else:
                out.append(TOKEN_REPLY if path.endswith(b"/token") else COMPANY_REPLY)
            self._counts[0] += 1
            buffer = buffer[end + 4 + length:]
        self._buffer = buffer
        if out and self._transport is not None:
            self._transport.write(b"".join(out))


async def main() -> None:
    counts = [0]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FixedReply(counts), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    # Serve until the parent closes stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
