import type { ContainerCreateOptions } from 'dockerode'
import type { JobManifest } from '../../../protocol/job/jobManifestSchema.ts'
import type { DetectedGpu } from '../resources/parseNvidiaSmiGpus.ts'

/** Where the job's folder appears inside the container. */
export const CONTAINER_JOB_DIR = '/job'

/** Label naming the job a container runs. */
export const JOB_LABEL = 'allot.job'
/** Label naming the provider (its work root) that made a container, so it can remove what a crash left. */
export const OWNER_LABEL = 'allot.owner'

export type DockerContainerOptionsParameters = {
  jobId: string
  /** The provider's work root, as an absolute path. */
  owner: string
  manifest: JobManifest
  /** The run's folder on the host, bound read-write at /job. */
  workDir: string
  /** `uid:gid` the job runs as. */
  user: string
  gpus?: readonly DetectedGpu[] | undefined
}

/**
 * The Docker Engine `ContainerCreate` body for one job: no network at all, a
 * read-only root file system with the job's folder at /job and a private /tmp,
 * no capabilities and no privilege gain, memory without swap, CPU quota,
 * process count, CPU time and file size limits, and the job's GPUs (and only
 * those) by device request.
 *
 * @returns Options for `docker.createContainer`.
 */
export function dockerContainerOptions({ jobId, owner, manifest, workDir, user, gpus = [] }: DockerContainerOptionsParameters): ContainerCreateOptions {
  const { limits, resources } = manifest
  const memoryBytes = limits.memoryMiB * 2 ** 20
  const fileBytes = limits.outputMiB * 2 ** 20 + 1
  return {
    Image: manifest.entry,
    Cmd: manifest.args.length > 0 ? [...manifest.args] : undefined,
    Env: Object.entries(manifest.env).map(([name, value]) => `${name}=${value}`),
    WorkingDir: CONTAINER_JOB_DIR,
    User: user,
    Labels: { [JOB_LABEL]: jobId, [OWNER_LABEL]: owner },
    NetworkDisabled: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: 'none',
      Binds: [`${workDir}:${CONTAINER_JOB_DIR}:rw`],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${Math.max(1, Math.min(resources.diskMiB, limits.memoryMiB))}m` },
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: resources.cpuMillicores * 1_000_000,
      PidsLimit: limits.processes,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Ulimits: [
        { Name: 'cpu', Soft: limits.cpuSeconds, Hard: limits.cpuSeconds + 1 },
        { Name: 'fsize', Soft: fileBytes, Hard: fileBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      DeviceRequests:
        gpus.length > 0 ? [{ Driver: 'nvidia', DeviceIDs: gpus.map((gpu) => gpu.uuid), Capabilities: [['gpu']] }] : undefined,
    },
  }
}
