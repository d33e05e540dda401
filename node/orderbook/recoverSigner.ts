import { createRequire } from 'node:module'
import { recoverAddress, type Address, type Hex } from 'viem'
import { keccak256 } from './keccak256.ts'
import { bytesToHex } from './typedDataHasher.ts'

type NativeSecp256k1 = {
  ecdsaRecover: (signature: Uint8Array, recoveryId: number, digest: Uint8Array, compressed: boolean) => Uint8Array
}

// libsecp256k1 through the `secp256k1` package's prebuilt binding recovers ~10×
// faster than pure JavaScript; where the binding cannot load, viem's is used.
const native: NativeSecp256k1 | undefined = (() => {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  } catch {
    return undefined
  }
})()

/** Which secp256k1 implementation {@link recoverSigner} uses. */
export const signatureBackend: 'libsecp256k1' | 'javascript' = native ? 'libsecp256k1' : 'javascript'

/**
 * Recovers the address that signed a 32-byte digest with a 65-byte `r ‖ s ‖ v`
 * signature (`v` 27/28 or 0/1).
 *
 * @param digest - The signed digest.
 * @param signature - The signature as hex.
 * @returns The signer, lowercase.
 * @throws {Error} The signature is malformed or recovers no point.
 * @example
 * const signer = await recoverSigner(askDigest(ask, market), signedAsk.signature)
 */
export async function recoverSigner(digest: Uint8Array, signature: Hex): Promise<Address> {
  if (!native) return (await recoverAddress({ hash: bytesToHex(digest), signature })).toLowerCase() as Address
  const bytes = Buffer.from(signature.slice(2), 'hex')
  if (bytes.length !== 65) throw new Error('expected a 65-byte signature')
  const v = bytes[64]!
  const recoveryId = v >= 27 ? v - 27 : v
  if (recoveryId !== 0 && recoveryId !== 1) throw new Error(`invalid signature recovery byte ${v}`)
  const publicKey = native.ecdsaRecover(bytes.subarray(0, 64), recoveryId, digest, false)
  return bytesToHex(keccak256(publicKey.subarray(1)).subarray(12)) as Address
}
