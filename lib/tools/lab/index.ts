// sockfd/lab: hosts (network namespaces) and links (veth pairs) between them in one process, the
// captures of what crosses them, and helpers for tests.
export {
  Host,
  type HostOptions,
  Lab,
  type Link,
  type LinkEnd,
  type LinkOptions,
  type RouteOptions,
  type UserspaceLink,
  type VethLink,
  labSupport,
} from './lab.js';
export { type BurstLoss, type Impairments, type LinkImpairments } from './impair.js';
export { type LinkStats } from './userspace.js';
export { runWithLabPrivilege } from './userns.js';
export type { BpfInstruction } from '../../sys/bpf.js';
export {
  Capture,
  type CaptureHost,
  type CaptureOptions,
  type CaptureResult,
  type WithCaptureOptions,
  capture,
  withCapture,
} from './capture.js';
export {
  type Direction,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_RAW,
  type PcapngFile,
  type PcapngInterface,
  type PcapngPacket,
  enhancedPacket,
  interfaceDescription,
  readPcapng,
  sectionHeader,
} from './pcapng.js';
export {
  DEFAULT_WAIT_MS,
  type PairHost,
  type PairOptions,
  type ReadToEndOptions,
  type SocketPair,
  WaitTimeoutError,
  readToEnd,
  reset,
  seqpacketPair,
  tcpPair,
  udpPair,
  waitFor,
  withTimeout,
} from './testing.js';
