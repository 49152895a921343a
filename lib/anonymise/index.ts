export {
  anonymise,
  DEFAULT_RANDOM_LENGTH,
  DEFAULT_REDACTION,
  generaliseDateValue,
  hmac,
  HMAC_OUTPUT,
  hmacHex,
  maskIpValue,
  needsHmacKey,
  random,
  RANDOM_ALPHABET,
  randomText,
  redact,
  REMOVED,
  truncate,
} from './strategies';
export type { Anonymised, AnonymiseKeys } from './strategies';
export { generaliseDate } from './dates';
export { maskIp } from './ip';
export { AnonymisationError } from './errors';
