import net from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which source addresses a UDP datagram may come from and still be answered. A datagram's source
 * is whatever its sender wrote, so a forger can name addresses that no client has: the server's
 * own socket (the server would then talk to itself), port 0, or a broadcast or multicast address
 * (one answer would reach a whole subnet). None of these is ever a user.
 */

/** This machine's addresses and its subnets' broadcast addresses, read at most once a second. */
export class LocalAddresses {
  readonly #read: () => ReturnType<typeof networkInterfaces>;
  #at = -Infinity;
  #own = new Set<string>();
  #broadcast = new Set<string>();

  constructor(read: () => ReturnType<typeof networkInterfaces> = networkInterfaces) {
    this.#read = read;
  }

  #refresh(nowMs: number): void {
    if (nowMs - this.#at < 1000) return;
    this.#at = nowMs;
    const own = new Set<string>();
    const broadcast = new Set<string>();
    for (const list of Object.values(this.#read())) {
      for (const info of list ?? []) {
        own.add(info.address);
        if (info.family === 'IPv4' && !info.internal) broadcast.add(ipv4Broadcast(info.address, info.netmask));
      }
    }
    this.#own = own;
    this.#broadcast = broadcast;
  }

  /** True when `address` is one of this machine's (loopback included). */
  isOwn(address: string, nowMs: number): boolean {
    if (isLoopback(address)) return true;
    this.#refresh(nowMs);
    return this.#own.has(address);
  }

  /** True when `address` is the broadcast address of one of this machine's IPv4 subnets. */
  isSubnetBroadcast(address: string, nowMs: number): boolean {
    this.#refresh(nowMs);
    return this.#broadcast.has(address);
  }
}

/** Why a source is never answered, or undefined when it may be a user. `address` is normalised (no ::ffff:). */
export function forbiddenSource(address: string, port: number): 'port_zero' | 'unspecified' | 'multicast' | 'broadcast' | undefined {
  if (port === 0) return 'port_zero';
  if (address === '0.0.0.0' || address === '::') return 'unspecified';
  if (net.isIPv4(address)) {
    const first = Number(address.slice(0, address.indexOf('.')));
    if (first >= 224 && first <= 239) return 'multicast';
    if (address === '255.255.255.255') return 'broadcast';
    return undefined;
  }
  if (address.toLowerCase().startsWith('ff')) return 'multicast';
  return undefined;
}

/** 127.0.0.0/8 and ::1 (the address normalised: no ::ffff: prefix). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** The broadcast address of the IPv4 subnet `address`/`netmask`. */
export function ipv4Broadcast(address: string, netmask: string): string {
  const a = address.split('.').map(Number);
  const m = netmask.split('.').map(Number);
  return a.map((octet, i) => (octet | (~(m[i] ?? 0) & 0xff)) & 0xff).join('.');
}
