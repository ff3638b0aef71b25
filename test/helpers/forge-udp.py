# Sends UDP datagrams with a forged IPv4 source, for charla's tests of what a forger can do.
# Needs root (a raw socket). Reads one JSON object per line on stdin:
#   {"src": "127.0.0.2", "sport": 40000, "dst": "127.0.0.1", "dport": 5001, "data": "<base64>"}
# and prints "sent N" (the payload's size) once each datagram has been handed to the kernel.
import base64, json, socket, struct, sys

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
print('ready', flush=True)
for line in sys.stdin:
    m = json.loads(line)
    payload = base64.b64decode(m['data'])
    src, dst = socket.inet_aton(m['src']), socket.inet_aton(m['dst'])
    length = 8 + len(payload)
    header = struct.pack('!HHHH', m['sport'], m['dport'], length, 0)
    pseudo = src + dst + struct.pack('!BBH', 0, socket.IPPROTO_UDP, length)
    csum = checksum(pseudo + header + payload) or 0xffff
    udp = struct.pack('!HHHH', m['sport'], m['dport'], length, csum) + payload
    # The kernel fills in the IP checksum and total length of a raw IPPROTO_RAW packet.
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + length, 0, 0x4000, 64, socket.IPPROTO_UDP, 0, src, dst)
    raw.sendto(ip + udp, (m['dst'], 0))
    print('sent', len(payload), flush=True)
