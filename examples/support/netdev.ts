// Network interfaces through ioctl(2) and struct ifreq, for the examples that build their own
// network inside a private namespace: bring an interface up, give it an address.
// netdevice(7): struct ifreq is the interface name (IFNAMSIZ bytes), then a union whose member
// depends on the request: a short of flags, an int index or MTU, or a struct sockaddr.
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

import {
  AF_INET,
  IFF_RUNNING,
  IFF_UP,
  IFNAMSIZ,
  SIOCGIFFLAGS,
  SIOCSIFADDR,
  SIOCSIFFLAGS,
  SIOCSIFNETMASK,
  SOCK_DGRAM,
  close,
  ioctl,
  ioctlArgSize,
  socket,
} from 'sockfd';

// The union's short and the sa_family field are in host byte order; addresses and ports are
// in network byte order (big-endian).
const LE = endianness() === 'LE';
const readHost16 = (b: Buffer, at: number): number =>
  LE ? b.readUInt16LE(at) : b.readUInt16BE(at);
const writeHost16 = (b: Buffer, v: number, at: number): number =>
  LE ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);

/** A struct ifreq naming `name`, the rest zero. */
export function ifreq(name: string): Buffer {
  const req = Buffer.alloc(ioctlArgSize(SIOCGIFFLAGS)!);
  req.write(name, 0, IFNAMSIZ - 1, 'latin1');
  return req;
}

/** Puts a struct sockaddr_in for `address` in the union of a struct ifreq. ip(7) */
function putInetAddress(req: Buffer, address: string): void {
  if (!isIPv4(address)) throw new TypeError(`not an IPv4 address: ${address}`);
  writeHost16(req, AF_INET, IFNAMSIZ); // sin_family
  req.writeUInt16BE(0, IFNAMSIZ + 2); // sin_port
  Buffer.from(address.split('.').map(Number)).copy(req, IFNAMSIZ + 4); // sin_addr
}

/** Any socket will do for the interface ioctls; they act on the namespace, not the socket. */
function withSocket<T>(f: (fd: number) => T): T {
  const fd = socket(AF_INET, SOCK_DGRAM);
  try {
    return f(fd);
  } finally {
    close(fd);
  }
}

/** Sets IFF_UP (and IFF_RUNNING) on interface `name`: SIOCGIFFLAGS, then SIOCSIFFLAGS. */
export function linkUp(name: string): void {
  withSocket((fd) => {
    const req = ifreq(name);
    ioctl(fd, SIOCGIFFLAGS, req);
    writeHost16(req, readHost16(req, IFNAMSIZ) | IFF_UP | IFF_RUNNING, IFNAMSIZ);
    ioctl(fd, SIOCSIFFLAGS, req);
  });
}

/** Gives interface `name` an IPv4 address and netmask: SIOCSIFADDR, SIOCSIFNETMASK. */
export function setAddress(name: string, address: string, netmask: string): void {
  withSocket((fd) => {
    const req = ifreq(name);
    putInetAddress(req, address);
    ioctl(fd, SIOCSIFADDR, req);
    putInetAddress(req, netmask);
    ioctl(fd, SIOCSIFNETMASK, req);
  });
}
