// A TUN device: a network interface whose packets go to a file descriptor instead of a wire.
// The kernel routes a packet out of the interface, and read() on the fd returns it, IP header
// first; write() on the fd injects a packet as if it had arrived on the interface.
// https://www.kernel.org/doc/html/latest/networking/tuntap.html
import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';

import { IFF_NO_PI, IFF_TUN, IFNAMSIZ, TUNSETIFF, ioctl } from 'sockfd';

import { ifreq } from './netdev.js';

/** Opens /dev/net/tun and attaches the fd to a new TUN interface `name`; returns the fd. */
export function openTun(name: string): number {
  const fd = openSync('/dev/net/tun', 'r+');
  const req = ifreq(name);
  // ifr_flags, a short in host byte order: a TUN (IP) device, with no extra packet-info header.
  const flags = IFF_TUN | IFF_NO_PI;
  if (endianness() === 'LE') req.writeUInt16LE(flags, IFNAMSIZ);
  else req.writeUInt16BE(flags, IFNAMSIZ);
  try {
    ioctl(fd, TUNSETIFF, req);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}
