/**
 * Encodes bytes as standard, padded base64 (RFC 4648 §4).
 *
 * @param bytes - Bytes to encode.
 * @returns The base64 text.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Decodes standard base64. Lenient like `atob`; callers that need the one
 * canonical spelling re-encode and compare.
 *
 * @param text - Base64 text.
 * @returns The bytes.
 */
export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
