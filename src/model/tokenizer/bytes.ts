/**
 * The GPT-2 byte-to-unicode table: every byte 0..255 gets a printable character, so a BPE
 * vocabulary over bytes can be written as ordinary strings (the `Ġ` for a space in GPT-2 files).
 * Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100.. in byte order.
 */

/** Byte → its byte-level character (GPT-2 `bytes_to_unicode`). */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Byte-level character code → byte, or -1 for a character outside the table. */
export const CHAR_TO_BYTE: Int16Array = buildCharToByte();

function buildByteToChar(): string[] {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : next++);
  return out;
}

function buildCharToByte(): Int16Array {
  const out = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => (out[c.charCodeAt(0)] = b));
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as in every UTF-8 encoder). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A string's UTF-8 bytes written as byte-level characters: `byteLevel(' hé')` is `'ĠhÃ©'`. */
export function byteLevel(text: string): string {
  let s = '';
  for (const b of utf8(text)) s += BYTE_TO_CHAR[b];
  return s;
}

/** The bytes a byte-level string stands for, or null if it has a character outside the table. */
export function byteLevelToBytes(symbol: string): Uint8Array | null {
  const out = new Uint8Array(symbol.length);
  for (let i = 0; i < symbol.length; i++) {
    const code = symbol.charCodeAt(i);
    const b = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}
