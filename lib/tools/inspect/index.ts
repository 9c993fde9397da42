// sockfd/inspect: what the kernel knows about a socket, read from an fd, /proc and sock options.
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
