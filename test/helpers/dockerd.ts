import { startDockerEngine, type DockerEngine } from '../../node/runtime/docker/startDockerEngine.ts'

export type { DockerEngine }

/**
 * A Docker Engine of the test's own (`dockerd --bridge=none --iptables=false
 * --ip-masq=false` on a socket in a temp folder), stopped by its pid. No Docker
 * test skips: where the engine cannot start, the test fails with the reason.
 */
export async function startDockerd(): Promise<DockerEngine> {
  return startDockerEngine({ timeoutMs: 90_000 })
}
