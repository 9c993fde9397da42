// The package root: re-exports only.
export * from './address.js';
export * from './constants.generated.js';
export { SocketError, errnoName } from './errors.js';
export * from './sys.js';
