// TEMPORARY SHIM: sendmsg/recvmsg with control messages (SCM_RIGHTS, SO_RXQ_OVFL) are coming
// to sockfd from the msg branch. Until then this file declares their shape, as that branch
// defines it, and picks them up from the package if they are there. When they land, import
// sendmsg and recvmsg from 'sockfd' in the examples and delete this file.
import * as sockfd from 'sockfd';

/** SOL_SOCKET SCM_RIGHTS: open fds passed over a unix socket. unix(7) */
export interface RightsMessage {
  type: 'rights';
  fds: number[];
}

/** SOL_SOCKET SO_RXQ_OVFL: how many datagrams the socket had dropped when this one was queued. */
export interface RxqOverflowMessage {
  type: 'rxqOverflow';
  dropped: number;
}

export type ControlMessage = RightsMessage | RxqOverflowMessage | { type: string };

export interface SendMsgOptions {
  buffers: ArrayBufferView | readonly ArrayBufferView[];
  control?: readonly RightsMessage[];
  flags?: number;
}

export interface RecvMsgOptions {
  buffers: ArrayBufferView | readonly ArrayBufferView[];
  controlLength?: number;
  flags?: number;
}

export interface RecvMsgResult {
  bytes: number;
  control: ControlMessage[];
  flags: number;
}

const lib = sockfd as unknown as {
  sendmsg?: (fd: number, message: SendMsgOptions) => number;
  recvmsg?: (fd: number, options: RecvMsgOptions) => RecvMsgResult;
};

/** sendmsg(2), or undefined in a sockfd without it. */
export const sendmsg = lib.sendmsg;
/** recvmsg(2), or undefined in a sockfd without it. */
export const recvmsg = lib.recvmsg;

/** Why an example cannot show control messages yet. */
export const NO_RECVMSG =
  'this sockfd has no sendmsg/recvmsg with control messages yet (they come with the msg branch)';

export function isRights(m: ControlMessage): m is RightsMessage {
  return m.type === 'rights';
}

export function isRxqOverflow(m: ControlMessage): m is RxqOverflowMessage {
  return m.type === 'rxqOverflow';
}
