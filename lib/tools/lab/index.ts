// The lab's captures and test helpers; sockfd/lab re-exports them.
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
