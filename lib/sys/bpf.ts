// Classic BPF socket filters: the kernel runs a small program on every packet a socket would
// receive and keeps it, trimmed to the length returned, or drops it when the program returns 0.
// The same programs choose the socket of a SO_REUSEPORT group. Linux only.
// socket(7) SO_ATTACH_FILTER — https://docs.kernel.org/networking/filter.html
import { check, invalidArgType, validateFd, validateInt } from '../internal/errors.js';
import { native } from './native.js';

const c = native.constants as Record<
  | 'SOL_SOCKET'
  | 'SO_ATTACH_FILTER'
  | 'SO_ATTACH_REUSEPORT_CBPF'
  | 'SO_DETACH_FILTER'
  | 'SO_LOCK_FILTER'
  | 'BPF_LD'
  | 'BPF_LDX'
  | 'BPF_ALU'
  | 'BPF_JMP'
  | 'BPF_RET'
  | 'BPF_W'
  | 'BPF_H'
  | 'BPF_B'
  | 'BPF_ABS'
  | 'BPF_IND'
  | 'BPF_MSH'
  | 'BPF_MOD'
  | 'BPF_JEQ'
  | 'BPF_JSET'
  | 'BPF_K'
  | 'BPF_A'
  | 'SKF_AD_OFF'
  | 'SKF_AD_CPU'
  | 'ETH_P_IP',
  number
>;

/**
 * One instruction of a classic BPF program, as struct sock_filter: `code` the opcode (BPF_LD |
 * BPF_B | BPF_ABS, …, a u16), `jt`/`jf` how many instructions a conditional jump skips when true
 * or false (u8), `k` its constant (a u32; negative numbers are taken as their u32, so
 * `SKF_AD_OFF + SKF_AD_CPU` may be written as is).
 */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A statement: BPF_STMT(code, k) of linux/filter.h. */
export function bpfStmt(code: number, k: number): BpfInstruction {
  return { code, jt: 0, jf: 0, k };
}

/** A conditional jump: BPF_JUMP(code, k, jt, jf) of linux/filter.h. */
export function bpfJump(code: number, k: number, jt: number, jf: number): BpfInstruction {
  return { code, jt, jf, k };
}

function validateProgram(program: unknown): asserts program is readonly BpfInstruction[] {
  // The native layer checks every instruction and names it (program[3].k); this is the type.
  if (!Array.isArray(program)) {
    throw invalidArgType('program', 'an array of { code, jt, jf, k }', program);
  }
}

/**
 * Attaches a classic BPF program to `fd`: from then on the socket receives only what the
 * program accepts, trimmed to the length it returns. Each instruction is checked before the
 * kernel sees the program (1 to BPF_MAXINSNS of them); the kernel then checks that it is a valid
 * program (EINVAL otherwise). Attaching again replaces the program.
 * socket(7) SO_ATTACH_FILTER — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function attachFilter(fd: number, program: readonly BpfInstruction[]): void {
  validateFd(fd);
  validateProgram(program);
  check(native.attachFilter(fd, c.SO_ATTACH_FILTER, program), 'setsockopt');
}

/**
 * Detaches the program {@link attachFilter} attached (ENOENT when there is none).
 * socket(7) SO_DETACH_FILTER — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function detachFilter(fd: number): void {
  validateFd(fd);
  check(native.setsockoptInt(fd, c.SOL_SOCKET, c.SO_DETACH_FILTER, 0), 'setsockopt');
}

/**
 * Locks the socket's filter: it can no longer be replaced nor detached (EPERM), not even by
 * this process, until the socket is closed. Hand a locked socket to less trusted code.
 * socket(7) SO_LOCK_FILTER — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function lockFilter(fd: number): void {
  validateFd(fd);
  check(native.setsockoptInt(fd, c.SOL_SOCKET, c.SO_LOCK_FILTER, 1), 'setsockopt');
}

/**
 * Attaches a classic BPF program to the SO_REUSEPORT group `fd` belongs to: for each packet
 * (for UDP, the data it reads starts at the payload) it returns the index of the socket that
 * gets it, in the order the sockets joined the group (bound); an index past the last falls
 * back to the kernel's hash. Set on any one socket of the group, it serves the whole group.
 * socket(7) SO_ATTACH_REUSEPORT_CBPF — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function attachReuseportCbpf(fd: number, program: readonly BpfInstruction[]): void {
  validateFd(fd);
  validateProgram(program);
  check(native.attachFilter(fd, c.SO_ATTACH_REUSEPORT_CBPF, program), 'setsockopt');
}

/**
 * Where the data a filter reads starts: 'ip' for an IPv4 raw socket or an AF_PACKET
 * SOCK_DGRAM socket (the IP header), 'ethernet' for an AF_PACKET SOCK_RAW socket on an
 * Ethernet-like interface (lo included): 14 bytes of MAC addresses and EtherType first.
 */
export type BpfLink = 'ip' | 'ethernet';

// Return values: keep the whole packet, or drop it.
const ACCEPT = 0xffffffff;
const DROP = 0;
const REJECT = -1; // a jump to the final DROP; resolved by program()

// Resolves jumps to REJECT into offsets to the last instruction, which drops.
function program(body: BpfInstruction[]): BpfInstruction[] {
  const all = [...body, bpfStmt(c.BPF_RET | c.BPF_K, ACCEPT), bpfStmt(c.BPF_RET | c.BPF_K, DROP)];
  const last = all.length - 1;
  return all.map((insn, i) => ({
    ...insn,
    jt: insn.jt === REJECT ? last - i - 1 : insn.jt,
    jf: insn.jf === REJECT ? last - i - 1 : insn.jf,
  }));
}

function linkArgs(link: unknown): { base: number; prefix: BpfInstruction[] } {
  if (link === 'ip') return { base: 0, prefix: [] };
  if (link === 'ethernet') {
    // Only IPv4 frames: the EtherType at byte 12.
    return {
      base: 14,
      prefix: [
        bpfStmt(c.BPF_LD | c.BPF_H | c.BPF_ABS, 12),
        bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, c.ETH_P_IP, 0, REJECT),
      ],
    };
  }
  throw invalidArgType('link', "'ip' or 'ethernet'", link);
}

/**
 * A filter that keeps the IPv4 packets of one IP protocol (IPPROTO_UDP, IPPROTO_ICMP, …) and
 * drops everything else, for {@link attachFilter}.
 */
export function bpfIpProtocol(protocol: number, link: BpfLink = 'ip'): BpfInstruction[] {
  validateInt(protocol, 'protocol', 0, 255);
  const { base, prefix } = linkArgs(link);
  return program([
    ...prefix,
    bpfStmt(c.BPF_LD | c.BPF_B | c.BPF_ABS, base + 9),
    bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, protocol, 0, REJECT),
  ]);
}

/**
 * A filter that keeps the IPv4 UDP or TCP packets (`protocol` IPPROTO_UDP or IPPROTO_TCP) sent
 * to `port`, for {@link attachFilter}. It reads the IP header's length, so options are
 * skipped, and drops the later fragments of a datagram, which carry no port.
 */
export function bpfDestinationPort(
  protocol: number,
  port: number,
  link: BpfLink = 'ip',
): BpfInstruction[] {
  validateInt(protocol, 'protocol', 0, 255);
  validateInt(port, 'port', 0, 65535);
  const { base, prefix } = linkArgs(link);
  return program([
    ...prefix,
    bpfStmt(c.BPF_LD | c.BPF_B | c.BPF_ABS, base + 9),
    bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, protocol, 0, REJECT),
    bpfStmt(c.BPF_LD | c.BPF_H | c.BPF_ABS, base + 6),
    bpfJump(c.BPF_JMP | c.BPF_JSET | c.BPF_K, 0x1fff, REJECT, 0), // a fragment offset
    bpfStmt(c.BPF_LDX | c.BPF_B | c.BPF_MSH, base), // X = the IP header's length
    bpfStmt(c.BPF_LD | c.BPF_H | c.BPF_IND, base + 2), // the destination port
    bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, port, 0, REJECT),
  ]);
}

function validateCount(count: unknown): asserts count is number {
  validateInt(count, 'count', 1, 0xffffffff);
}

/**
 * A reuseport program that picks socket `byte % count` by the byte at `offset` of the payload
 * (UDP: the first byte of the datagram is offset 0), for {@link attachReuseportCbpf}. A
 * datagram too short to have that byte goes to socket 0: a load past the end ends a classic
 * program with 0.
 */
export function bpfReuseportByByte(offset: number, count: number): BpfInstruction[] {
  validateInt(offset, 'offset', 0, 0x7fffffff);
  validateCount(count);
  return [
    bpfStmt(c.BPF_LD | c.BPF_B | c.BPF_ABS, offset),
    bpfStmt(c.BPF_ALU | c.BPF_MOD | c.BPF_K, count),
    bpfStmt(c.BPF_RET | c.BPF_A, 0),
  ];
}

/**
 * A reuseport program that picks socket `cpu % count` by the CPU the packet is processed on
 * (SKF_AD_CPU), so each CPU's packets stay with one socket, for {@link attachReuseportCbpf}.
 */
export function bpfReuseportByCpu(count: number): BpfInstruction[] {
  validateCount(count);
  return [
    bpfStmt(c.BPF_LD | c.BPF_W | c.BPF_ABS, c.SKF_AD_OFF + c.SKF_AD_CPU),
    bpfStmt(c.BPF_ALU | c.BPF_MOD | c.BPF_K, count),
    bpfStmt(c.BPF_RET | c.BPF_A, 0),
  ];
}
