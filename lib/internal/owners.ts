// Which sockfd object owns which fd in this thread. An fd has at most one owning object, so it
// is closed exactly once; close(fd) on an owned fd goes through its owner, which stops the
// owner's watcher before the fd is released.

/** What the registry needs from an owning object. */
export interface FdOwner {
  close(): void;
}

export const owners = new Map<number, FdOwner>();
