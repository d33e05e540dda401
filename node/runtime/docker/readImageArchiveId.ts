import { open } from 'node:fs/promises'
import { DockerImageArchiveError } from '../errors.ts'

const BLOCK = 512

/**
 * The image id (`sha256:` + the digest of its config) of the image in a
 * `docker save` archive (classic or OCI layout), read from the archive's
 * `manifest.json` without loading anything into an engine. The engine checks
 * the config's bytes against this digest when it loads the archive.
 *
 * @throws DockerImageArchiveError for a file that is not a one-image archive.
 * @example
 * await readImageArchiveId('job/image.tar') // 'sha256:dfb1…'
 */
export async function readImageArchiveId(path: string): Promise<string> {
  const file = await open(path, 'r')
  try {
    const header = Buffer.alloc(BLOCK)
    for (let offset = 0; ; ) {
      const { bytesRead } = await file.read(header, 0, BLOCK, offset)
      if (bytesRead < BLOCK || header.every((byte) => byte === 0)) break
      const name = field(header, 345, 155) ? `${field(header, 345, 155)}/${field(header, 0, 100)}` : field(header, 0, 100)
      const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8)
      if (!Number.isSafeInteger(size) || size < 0) throw new DockerImageArchiveError({ path, reason: 'its tar headers are damaged' })
      if (name.replace(/^\.\//, '') === 'manifest.json') {
        if (size > 1 << 20) throw new DockerImageArchiveError({ path, reason: 'its manifest.json is too large' })
        const body = Buffer.alloc(size)
        await file.read(body, 0, size, offset + BLOCK)
        return configId(path, body.toString('utf8'))
      }
      offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK
    }
  } finally {
    await file.close()
  }
  throw new DockerImageArchiveError({ path, reason: 'it has no manifest.json (make it with docker save)' })
}

function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length)
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end === -1 ? length : end).toString('utf8')
}

function configId(path: string, text: string): string {
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch {
    throw new DockerImageArchiveError({ path, reason: 'its manifest.json is not JSON' })
  }
  if (!Array.isArray(manifest) || manifest.length !== 1) throw new DockerImageArchiveError({ path, reason: 'it must hold exactly one image' })
  const config = (manifest[0] as { Config?: unknown }).Config
  // Classic archives name the config `<hex>.json`, OCI layouts `blobs/sha256/<hex>`.
  const hex = typeof config === 'string' ? /([0-9a-f]{64})(\.json)?$/.exec(config)?.[1] : undefined
  if (!hex) throw new DockerImageArchiveError({ path, reason: 'its manifest.json names no config digest' })
  return `sha256:${hex}`
}
