"""A receiver of descriptors that shares no code with vl3-nse's transport: a byte relay between a client
(accepted on LISTEN) and a server (dialled at UPSTREAM) that reads the server's side with Python's
socket.recv_fds and prints one JSON line per descriptor received: its st_dev and st_ino (as strings:
inode numbers may exceed 2**53), then closes it. Bytes pass unchanged both ways. Exits when either
side closes, or after a bounded idle time."""
import json
import os
import select
import socket
import sys

listen_path, upstream_path = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(listen_path)
server.listen(1)
print(json.dumps({"ready": True}), flush=True)
down, _ = server.accept()
up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
up.connect(upstream_path)
while True:
    readable, _, _ = select.select([down, up], [], [], 30)
    if not readable:
        break
    if up in readable:
        data, fds, _flags, _addr = socket.recv_fds(up, 65536, 64)
        for fd in fds:
            st = os.fstat(fd)
            print(json.dumps({"dev": str(st.st_dev), "ino": str(st.st_ino)}), flush=True)
            os.close(fd)
        if not data:
            break
        down.sendall(data)
    if down in readable:
        data = down.recv(65536)
        if not data:
            break
        up.sendall(data)
