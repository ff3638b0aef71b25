/**
 * The lab's own chat servers: the real `startServer`, twice. One serves only TCP and one only
 * UDP, so each protocol's users are in a room of their own and neither protocol's traffic shows
 * up in the other's numbers or capture. `bench` lifts the per-user rate limit, which would
 * otherwise delay (TCP) or drop (UDP) messages sent faster than a chat user types.
 */
import { type ChatServer, startServer } from '../server.js';

/** A TCP-only and a UDP-only server on `host`, ports chosen by the system. */
export interface LabServers {
  tcpPort: number;
  udpPort: number;
  close(): Promise<void>;
}

/** Starts the pair. `sizeBytes` raises the message limit when the lab sends bigger messages. */
export async function startLabServers(host: string, sizeBytes: number): Promise<LabServers> {
  const maxLineBytes = Math.max(4096, sizeBytes);
  const common = { host, tcpPort: 0, udpPort: 0, bench: true, lang: 'en' as const };
  const servers: ChatServer[] = [];
  try {
    servers.push(await startServer({ ...common, udp: false, tcpOptions: { maxLineBytes } }));
    servers.push(await startServer({ ...common, tcp: false, udpOptions: { maxLineBytes } }));
  } catch (err) {
    await Promise.all(servers.map((s) => s.close(200)));
    throw err;
  }
  const [tcp, udp] = servers as [ChatServer, ChatServer];
  return {
    tcpPort: tcp.tcp?.address.port ?? 0,
    udpPort: udp.udp?.address.port ?? 0,
    close: async () => {
      await Promise.all(servers.map((s) => s.close(500)));
    },
  };
}
