import net from 'node:net';
import { CharlaError } from './errors.js';

/**
 * A set of addresses and subnets ("10.0.0.0/8", "192.168.1.20", "fd00::/8"), for the
 * per-address connection cap's allow-list. Loopback is always in it unless told otherwise.
 */
export class AddressList {
  readonly #list = new net.BlockList();
  readonly entries: string[] = [];
  /** The flag its entries come from, for the error. */
  readonly #flag: string;

  constructor(entries: readonly string[], { loopback = true, flag = '--allow' }: { loopback?: boolean; flag?: string } = {}) {
    this.#flag = flag;
    if (loopback) {
      this.#list.addSubnet('127.0.0.0', 8, 'ipv4');
      this.#list.addAddress('::1', 'ipv6');
    }
    for (const entry of entries) this.add(entry);
  }

  /** Adds "ADDR" or "ADDR/BITS"; throws a CharlaError naming the entry when it is not one. */
  add(entry: string): void {
    const [addr = '', bits] = entry.split('/');
    const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : undefined;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new CharlaError('ERR_BAD_OPTION', `${this.#flag} takes an address or subnet such as 192.168.1.0/24, not "${entry}"`);
    }
    this.#list.addSubnet(addr, prefix, family);
    this.entries.push(entry);
  }

  has(address: string): boolean {
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    return family !== undefined && this.#list.check(address, family);
  }
}
