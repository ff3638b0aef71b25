/**
 * The largest datagram the server sends, in bytes of payload: the size that crosses any real
 * LAN or Internet path without IP fragmentation (QUIC picks 1200 for the same reason: IPv6
 * guarantees a 1280-byte MTU, minus 40 for the IPv6 header and 8 for UDP, with room to spare
 * for tunnels). A fragmented datagram is lost whole when any fragment is, and some paths drop
 * fragments outright, so a bigger answer would often silently never arrive. Long replies are
 * cut into several datagrams of at most this size.
 */
export const UDP_MAX_DATAGRAM_BYTES = 1200;

/**
 * One UDP datagram -> the messages in it. Each datagram is one message (the seed's framing);
 * a trailing "\n" or "\r\n" (netcat -u sends one) is not part of it. A datagram that holds
 * several lines (a paste through netcat) is several messages, in order, so no line is glued to
 * another. Invalid UTF-8 becomes U+FFFD.
 */
export function splitDatagram(data: Uint8Array): string[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (!text.includes('\n')) return [text.endsWith('\r') ? text.slice(0, -1) : text];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
