// secrets.mjs: the sync server's secrets: device tokens, pairing codes, and the hashes stored in
// their place. The server keeps only SHA-256 hashes, so a copy of the data folder gives nobody a
// working token or code; a token is looked up by its hash, which reveals nothing of the token
// through timing.
import { createHash, randomBytes, randomInt } from 'node:crypto';

// Crockford's base32 without I, L, O, U: nothing to misread when a code is typed from a screen.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 10; // 50 bits

/** A new bearer token for a device: 32 random bytes, base64url. */
export function newToken() {
  return randomBytes(32).toString('base64url');
}

/** A new device id: `dev-` and 12 random hex digits. */
export function newDeviceId() {
  return `dev-${randomBytes(6).toString('hex')}`;
}

/** A new pairing code, as people read it: two groups of five, e.g. `7KQ2M-9XWRT`. */
export function newPairingCode() {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * A pairing code as typed → its canonical form (upper case, no dash or spaces, the usual misreads
 * folded: O→0, I and L→1), or null when it cannot be one.
 */
export function normalizePairingCode(text) {
  if (typeof text !== 'string' || text.length > 64) return null;
  const code = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH) return null;
  for (const c of code) if (!CODE_ALPHABET.includes(c)) return null;
  return code;
}

/** SHA-256 of a secret (token or canonical pairing code), as a Buffer: what storage keeps. */
export function hashSecret(secret) {
  return createHash('sha256').update(secret, 'utf8').digest();
}
