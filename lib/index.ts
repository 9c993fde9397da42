// The package root: re-exports only.
// address.ts's addrArgs and errorTarget are the syscall layer's plumbing, not API.
export {
  type Address,
  type AnySocketAddress,
  type Inet6Address,
  type InetAddress,
  type NetlinkAddress,
  type OtherAddress,
  type PacketAddress,
  type PacketAddressReceived,
  type SocketAddress,
  type UnixAbstractAddress,
  type UnixAddress,
  type UnixPathAddress,
  type UnixUnnamedAddress,
  formatAddress,
} from './address.js';
export * from './constants.generated.js';
export { type ErrorTarget, SocketError, errnoName } from './errors.js';
export * from './msg.js';
export * from './options.js';
export * from './packet.js';
export * from './sys.js';
export { type Family, SocketBase, type WaitOptions } from './base.js';
export { DatagramSocket } from './datagram.js';
export {
  type Message,
  MessageSocket,
  type MessagesOptions,
  type ReceivedMessage,
} from './message.js';
export { RawSocket, type RawSocketOptions } from './raw.js';
export { SeqPacketSocket } from './seqpacket.js';
export { type ShutdownHow, StreamSocket } from './stream.js';
export {
  type FdEntry,
  type FdKind,
  type FileInspection,
  type InspectOptions,
  type Inspection,
  type SocketInspection,
  formatFdTable,
  formatInspection,
  inspect,
  listFds,
} from './inspect.js';
export {
  type ProcNetSocket,
  type ProcNetTable,
  readSocketTable,
  readSocketTables,
} from './procnet.js';
