import { randomBytes } from 'node:crypto';

// Ids that must be unique, not secret (a request's X-Request-Id, the id a worker's answer lines carry, a
// completion's `chatcmpl-…`): a random prefix drawn once per process and a counter, so no two lifeguard
// processes give the same id and none costs a UUID's random bytes. An id that grants access to something
// (a stored response's id) stays a random UUID.
const processPrefix = randomBytes(6).toString('hex');
let counter = 0;

export const uniqueId = (): string => `${processPrefix}${(counter++).toString(36)}`;
