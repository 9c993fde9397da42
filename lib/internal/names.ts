// Names of the kernel's numbers, for messages and the inspector: read from the compiled
// constants, so a number is named only if this system's headers define it.
import { native } from '../sys/native.js';

const c = native.constants;

const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;

/** The name of a TCP state number (TCP_ESTABLISHED → 'ESTABLISHED'), as tcp(7) lists them. */
export function tcpStateName(state: number): string {
  for (const name of TCP_STATES) if (c[`TCP_${name}`] === state) return name;
  return `UNKNOWN(${state})`;
}

const SOCK_TYPES = ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_SEQPACKET', 'SOCK_RDM'];

/** The name of a SOCK_* type number: 1 → 'SOCK_STREAM'. */
export function socketTypeName(type: number): string {
  return SOCK_TYPES.find((name) => c[name] === type) ?? `type ${type}`;
}
