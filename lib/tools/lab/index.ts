// sockfd/lab: hosts (network namespaces) and links (veth pairs) between them in one process.
export {
  Host,
  type HostOptions,
  Lab,
  type Link,
  type LinkEnd,
  type LinkOptions,
  type RouteOptions,
  labSupport,
} from './lab.js';
export { runWithLabPrivilege } from './userns.js';
