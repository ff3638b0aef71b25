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
