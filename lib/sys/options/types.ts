// The public types of the option values whose C side is a struct.
import type { Inet6Address, InetAddress } from '../address.js';

/** An IPv4 or IPv6 address and port as the kernel returned it (SO_ORIGINAL_DST). */
export type IpSocketAddress = InetAddress | Required<Inet6Address>;

/** An interface given by its IPv4 address ('0.0.0.0': let the kernel choose) or its index. */
export type MulticastInterfaceV4 = string | number;

/** The credentials of a unix socket's peer, as they were when it connected. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** What TCP_INFO reports about a TCP connection; times are in microseconds unless named. */
export interface TcpInfo {
  /** The connection state: TCP_ESTABLISHED, TCP_LISTEN, … */
  state: number;
  /** The state's name without its TCP_ prefix: 'ESTABLISHED', 'LISTEN', … */
  stateName: string;
  /** The congestion avoidance state (TCP_CA_Open = 0, Disorder, CWR, Recovery, Loss). */
  caState: number;
  retransmits: number;
  probes: number;
  backoff: number;
  /** TCPI_OPT_* bits: timestamps, SACK, window scaling, ECN, … */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  rto: number;
  ato: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  fackets: number;
  /** Milliseconds since the last data was sent. */
  lastDataSent: number;
  lastAckSent: number;
  /** Milliseconds since the last data was received. */
  lastDataRecv: number;
  /** Milliseconds since the last ACK was received. */
  lastAckRecv: number;
  pmtu: number;
  rcvSsthresh: number;
  /** Smoothed round-trip time, microseconds. */
  rtt: number;
  rttvar: number;
  sndSsthresh: number;
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvRtt: number;
  rcvSpace: number;
  totalRetrans: number;
  // The fields below came with later kernels (3.15 to 5.5); each is present only when the
  // kernel returned it. Rates are bytes per second, +Infinity when unlimited.
  pacingRate?: number;
  maxPacingRate?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  segsOut?: number;
  segsIn?: number;
  notsentBytes?: number;
  /** The lowest RTT seen, microseconds; 0xffffffff before the first sample. */
  minRtt?: number;
  dataSegsIn?: number;
  dataSegsOut?: number;
  deliveryRate?: number;
  busyTime?: number;
  rwndLimited?: number;
  sndbufLimited?: number;
  delivered?: number;
  deliveredCe?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  dsackDups?: number;
  reordSeen?: number;
  rcvOoopack?: number;
  sndWnd?: number;
}
