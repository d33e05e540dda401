import { noise } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter, SecuredConnection } from '@libp2p/interface'

export type CoalescedNoiseInit = Parameters<typeof noise>[0]
type NoiseComponents = Parameters<ReturnType<typeof noise>>[0]

/** The part of js-noise's encrypted stream this wrapper reaches into (not in its public types). */
type Frames = Uint8Array | { subarray: () => Uint8Array }
type Encrypting = { encrypt: (chunk: unknown) => Frames }

/**
 * Noise whose encrypted frames leave in one socket write each.
 *
 * js-noise hands the transport each frame as two buffers, its 2-byte length and
 * the ciphertext, and the TCP transport writes every buffer on its own: two
 * system calls and, with Nagle off, two TCP segments per message, which the
 * receiver then reads as two events. Joining them costs one copy of the frame
 * (a gossip order is under a kilobyte) and halves the writes of every stream
 * on the connection; the bytes on the wire are the same.
 *
 * @param init - js-noise's options.
 * @returns A connection encrypter factory for `connectionEncrypters`.
 * @example
 * createLibp2p({ connectionEncrypters: [coalescedNoise()], … })
 */
export function coalescedNoise(init?: CoalescedNoiseInit): (components: NoiseComponents) => ConnectionEncrypter {
  const create = noise(init)
  return (components) => {
    const encrypter = create(components)
    const secureInbound = encrypter.secureInbound.bind(encrypter)
    const secureOutbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (...args: Parameters<typeof secureInbound>) => joinFrames(await secureInbound(...args))
    encrypter.secureOutbound = async (...args: Parameters<typeof secureOutbound>) => joinFrames(await secureOutbound(...args))
    return encrypter
  }
}

function joinFrames<secured extends SecuredConnection>(secured: secured): secured {
  const stream = secured.connection as unknown as Encrypting
  const encrypt = stream.encrypt.bind(secured.connection)
  stream.encrypt = (chunk) => {
    const frames = encrypt(chunk)
    // One buffer is returned as it is, without a copy.
    return frames instanceof Uint8Array ? frames : frames.subarray()
  }
  return secured
}
