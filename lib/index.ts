// The package root. Every name it exports is listed here: what is not listed is internal.
// The layers: sys/ (the fd-integer syscall layer), socket/ (the typed classes), tools/ (what
// stands on them); internal/ is never exported. docs/architecture.md draws the map.

// The syscall layer: one function per syscall, C's names and argument order.
export {
  socket,
  socketpair,
  bind,
  listen,
  type Accepted,
  type ConnectOptions,
  accept,
  connect,
  shutdown,
  close,
  send,
  sendto,
  recv,
  type Received,
  recvfrom,
  getsockname,
  getpeername,
  getsockopt,
  getsockoptBuffer,
  setsockopt,
  setNonblocking,
  getNonblocking,
  setCloexec,
  getCloexec,
  dup,
  type PollFd,
  type PollResult,
  poll,
  ioctl,
  ioctlArgSize,
  pidfd_open,
  pidfd_getfd,
  if_nametoindex,
  if_indextoname,
} from './sys/syscalls.js';
export { type SendfileResult, sendfile } from './sys/file.js';
export { setns, unshare } from './sys/ns.js';
export {
  EPOLL_MAX_EVENTS,
  type EpollEvent,
  epoll_create1,
  epoll_ctl,
  epoll_wait,
} from './sys/epoll.js';
export {
  type BpfInstruction,
  type BpfLink,
  attachFilter,
  attachReuseportCbpf,
  bpfDestinationPort,
  bpfIpProtocol,
  bpfJump,
  bpfReuseportByByte,
  bpfReuseportByCpu,
  bpfStmt,
  detachFilter,
  lockFilter,
} from './sys/bpf.js';
export {
  type Address,
  type AnySocketAddress,
  type Inet6Address,
  type InetAddress,
  type NetlinkAddress,
  type NodeAddressInfo,
  type OtherAddress,
  type PacketAddress,
  type PacketAddressReceived,
  type SocketAddress,
  type UnixAbstractAddress,
  type UnixAddress,
  type UnixPathAddress,
  type UnixPathAddressReceived,
  type UnixUnnamedAddress,
  formatAddress,
  isInet6Address,
  isInetAddress,
  isUnixAddress,
} from './sys/address.js';
export * from './sys/constants.generated.js'; // generated from the system headers at build
export { type ErrorTarget, SocketError, errnoName } from './internal/errors.js';
export {
  type RightsMessage,
  type CredentialsMessage,
  type PktinfoMessage,
  type Pktinfo6Message,
  type TtlMessage,
  type HoplimitMessage,
  type TosMessage,
  type TclassMessage,
  type TimestampMessage,
  type TimestampNsMessage,
  type RxqOverflowMessage,
  type RecvErrMessage,
  type PidfdMessage,
  type OrigDstAddrMessage,
  type RawControlMessage,
  type ControlMessage,
  type SendControlMessage,
  cmsgSpace,
  cmsgLen,
} from './sys/cmsg.js';
export {
  type Buffers,
  type SendMsgOptions,
  sendmsg,
  type RecvMsgOptions,
  type RecvMsgResult,
  recvmsg,
} from './sys/msg.js';
export {
  MessageBatch,
  type MessageBatchOptions,
  type SendMmsgMessage,
  type RecvMmsgMessage,
  type RecvMmsgResult,
  sendmmsg,
  recvmmsg,
} from './sys/mmsg.js';

// Typed socket options, one getter and one setter each: getReuseAddress, setReuseAddress, …
// The generated module names every one; lib/sys/options/table.ts declares them.
export * from './sys/options.js';

// The typed classes over the readiness engine.
export { type AddressOf, type Family, type FamilyOf, SocketBase } from './socket/base.js';
export type { WaitOptions } from './socket/signal.js';
export { DatagramSocket } from './socket/datagram.js';
export {
  type Message,
  MessageSocket,
  type MessagesOptions,
  type ReceivedMessage,
} from './socket/message.js';
export { RawSocket, type RawSocketOptions } from './socket/raw.js';
export { SeqPacketSocket } from './socket/seqpacket.js';
export { type SendfileOptions, type ShutdownHow, StreamSocket } from './socket/stream.js';
export { type ConnectionsOptions } from './socket/accept.js';
export { type OpenSocket, openSockets } from './internal/owners.js';
export { type Interest } from './socket/poll.js';

// Tools: packet helpers (also sockfd/packet), the inspector and /proc tables (also sockfd/inspect).
// The network lab is sockfd/lab alone: it moves threads between namespaces and runs commands,
// which a program should ask for by name.
export * from './tools/packet/index.js';
export * from './tools/inspect/index.js';
