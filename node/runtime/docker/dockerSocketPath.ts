import { DockerUnavailableError } from '../errors.ts'

/** Where a Docker Engine listens when nothing says otherwise. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

/**
 * The engine's socket from a `DOCKER_HOST`-style address (`unix:///run/docker.sock`
 * or a bare path); the default socket when none is given. Jobs never leave the
 * machine, so only local sockets are accepted.
 *
 * @throws DockerUnavailableError for a remote address (`tcp://`, `ssh://`).
 * @example
 * dockerSocketPath(process.env.DOCKER_HOST) // '/var/run/docker.sock'
 */
export function dockerSocketPath(host?: string | undefined): string {
  if (!host) return DEFAULT_DOCKER_SOCKET
  if (host.startsWith('unix://')) return host.slice('unix://'.length)
  if (host.startsWith('/')) return host
  throw new DockerUnavailableError({ socketPath: host, cause: new Error('only a local engine on a unix socket (unix:///path) can run jobs') })
}
