/** String helpers for keys and values: sizes and ordering in UTF-8 terms, as etcd's byte keys. */

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `text` has no lone surrogate, i.e. it survives UTF-8 encoding unchanged. A lone
 * surrogate would be replaced by U+FFFD in the snapshot, so two distinct keys could collapse into
 * one after a restore: such strings are rejected at decode (String.prototype.isWellFormed is
 * ES2024; the project targets ES2023).
 */
export function isWellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

const loneSurrogates = new RegExp(loneSurrogate.source, 'g');

/**
 * `text` cut to at most `lengthMax` UTF-16 units, lone surrogates (including one left by the cut)
 * replaced by U+FFFD: for error messages that quote input, which must stay small and decodable.
 */
export function clipText(text: string, lengthMax: number): string {
  const clipped = text.length > lengthMax ? `${text.slice(0, lengthMax)}...` : text;
  return clipped.replace(loneSurrogates, '\uFFFD');
}

/** Size of `text` in UTF-8 bytes, without allocating. */
export function utf8Length(text: string): number {
  let size = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      size += 4;
      i++;
    } else size += 3;
  }
  return size;
}

/**
 * Orders keys by their UTF-8 bytes (= by code point), as etcd orders its byte keys, so that
 * later prefix ranges see the order a byte-oriented client expects. JavaScript's `<` compares
 * UTF-16 code units, which differs for characters above U+FFFF versus U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

/** Maps a UTF-16 code unit so that surrogates (code points >= U+10000) sort above U+E000..U+FFFF. */
function codePointOrder(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
