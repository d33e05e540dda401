import { BaseError } from '../../protocol/errors/base.ts'

export type RuntimeNotEnabledErrorType = RuntimeNotEnabledError & { name: 'RuntimeNotEnabledError' }

/** A job asks for a runtime this provider has not opted in to. */
export class RuntimeNotEnabledError extends BaseError {
  override name = 'RuntimeNotEnabledError' as const
  readonly runtime: string
  constructor({ runtime }: { runtime: string }) {
    super(`The ${runtime} runtime is not enabled on this provider.`, {
      hint: runtime === 'wasm' ? undefined : `Providers opt in to the ${runtime} runtime explicitly in their configuration.`,
    })
    this.runtime = runtime
  }
}

export type SandboxUnavailableErrorType = SandboxUnavailableError & { name: 'SandboxUnavailableError' }

/** The `process` runtime needs bubblewrap and it is missing (and running unsandboxed was not accepted). */
export class SandboxUnavailableError extends BaseError {
  override name = 'SandboxUnavailableError' as const
  constructor({ command, cause }: { command: string; cause?: unknown }) {
    super(`The process sandbox (${command}) is not available, so this provider cannot sell the process runtime.`, {
      cause,
      hint: 'Install bubblewrap (apt-get install bubblewrap) and check that `bwrap --unshare-all --ro-bind / / true` runs, leave process out of --runtimes, or pass --allow-unsandboxed to run process jobs with rlimits only (they then see this machine and its network).',
    })
  }
}

export type DockerUnavailableErrorType = DockerUnavailableError & { name: 'DockerUnavailableError' }

/** No Docker Engine answers on the configured socket. */
export class DockerUnavailableError extends BaseError {
  override name = 'DockerUnavailableError' as const
  readonly socketPath: string
  constructor({ socketPath, cause }: { socketPath: string; cause?: unknown }) {
    super(`No Docker Engine answers at ${socketPath}, so this provider cannot sell the docker runtime.`, {
      cause,
      hint: 'Start the Docker daemon, point DOCKER_HOST (or --docker-host) at its socket, or leave docker out of --runtimes.',
    })
    this.socketPath = socketPath
  }
}

export type DockerImageMissingErrorType = DockerImageMissingError & { name: 'DockerImageMissingError' }

/** The job's image is not on the engine, the bundle carries no archive of it, and pulling is off. */
export class DockerImageMissingError extends BaseError {
  override name = 'DockerImageMissingError' as const
  readonly image: string
  constructor({ image, cause }: { image: string; cause?: unknown }) {
    super(`The image ${image} is not on this provider and the job does not carry it.`, {
      cause,
      hint: 'Put the image in the job folder (docker save -o image.tar IMAGE) and name it in the manifest ("image": "image.tar").',
    })
    this.image = image
  }
}

export type DockerImageUnpinnedErrorType = DockerImageUnpinnedError & { name: 'DockerImageUnpinnedError' }

/** A Docker job names its image by a tag, which may point at other bytes tomorrow; jobs name images by digest. */
export class DockerImageUnpinnedError extends BaseError {
  override name = 'DockerImageUnpinnedError' as const
  constructor({ image }: { image: string }) {
    super(`The image ${image} is not named by digest, so the deal could not say what runs.`, {
      hint: 'Name the image by its id (sha256:…, from docker image inspect --format {{.Id}}) or by name@sha256:digest.',
    })
  }
}

export type DockerImageMismatchErrorType = DockerImageMismatchError & { name: 'DockerImageMismatchError' }

/** The image archive a job carries is not the image its manifest names. */
export class DockerImageMismatchError extends BaseError {
  override name = 'DockerImageMismatchError' as const
  constructor({ expected, actual }: { expected: string; actual: string }) {
    super(`The job's image archive holds ${actual}, not the ${expected} its manifest names.`, {
      hint: 'Save the image the manifest names (docker save -o image.tar ID), or put the archive\'s image id in "entry".',
    })
  }
}

export type DockerImageTooLargeErrorType = DockerImageTooLargeError & { name: 'DockerImageTooLargeError' }

/** The job's image archive is larger than this provider accepts. */
export class DockerImageTooLargeError extends BaseError {
  override name = 'DockerImageTooLargeError' as const
  constructor({ bytes, maxBytes }: { bytes: number; maxBytes: number }) {
    super(`The job's image archive is ${bytes} bytes, more than the ${maxBytes} this provider accepts.`, {
      hint: 'Use a smaller image (a static binary in a scratch image), or a provider with a larger --max-image-mib.',
    })
  }
}

export type DockerImageArchiveErrorType = DockerImageArchiveError & { name: 'DockerImageArchiveError' }

/** A job's image archive is not a `docker save` archive of one image. */
export class DockerImageArchiveError extends BaseError {
  override name = 'DockerImageArchiveError' as const
  constructor({ path, reason }: { path: string; reason: string }) {
    super(`${path} is not a usable image archive: ${reason}.`, { hint: 'Make it with docker save -o image.tar IMAGE.' })
  }
}

export type GpuDriverErrorType = GpuDriverError & { name: 'GpuDriverError' }

/**
 * `nvidia-smi` is installed but failed (typically: it cannot talk to the driver).
 * Detection reports it as a warning and advertises no GPUs rather than guessing.
 */
export class GpuDriverError extends BaseError {
  override name = 'GpuDriverError' as const
  readonly output: string
  constructor({ output, exitCode, cause }: { output: string; exitCode?: number | null | undefined; cause?: unknown }) {
    const said = output.trim().split('\n')[0] ?? ''
    super(`nvidia-smi failed${exitCode == null ? '' : ` with exit code ${exitCode}`}, so no GPUs are advertised.`, {
      cause,
      details: said || undefined,
      hint: 'Check that the NVIDIA driver is installed and loaded (nvidia-smi should list the GPUs).',
    })
    this.output = output
  }
}

export type NvidiaSmiOutputErrorType = NvidiaSmiOutputError & { name: 'NvidiaSmiOutputError' }

/** A line of `nvidia-smi --query-gpu` output that is not `index, name, memory, uuid`. */
export class NvidiaSmiOutputError extends BaseError {
  override name = 'NvidiaSmiOutputError' as const
  readonly line: string
  constructor({ line, reason }: { line: string; reason: string }) {
    super(`Unexpected nvidia-smi output: ${reason}.`, { details: line })
    this.line = line
  }
}

export type DuplicateReservationErrorType = DuplicateReservationError & { name: 'DuplicateReservationError' }

/** A reservation with this id is already held. */
export class DuplicateReservationError extends BaseError {
  override name = 'DuplicateReservationError' as const
  readonly id: string
  constructor({ id }: { id: string }) {
    super(`Capacity is already reserved for ${id}.`)
    this.id = id
  }
}

export type ReservationNotFoundErrorType = ReservationNotFoundError & { name: 'ReservationNotFoundError' }

/** No reservation with this id is held (never made, released or expired). */
export class ReservationNotFoundError extends BaseError {
  override name = 'ReservationNotFoundError' as const
  readonly id: string
  constructor({ id }: { id: string }) {
    super(`No capacity is reserved for ${id}; it was released or it expired.`)
    this.id = id
  }
}

export type InsufficientCapacityErrorType = InsufficientCapacityError & { name: 'InsufficientCapacityError' }

/** Reserving would over-commit one resource. */
export class InsufficientCapacityError extends BaseError {
  override name = 'InsufficientCapacityError' as const
  readonly resource: string
  readonly requested: number
  readonly available: number
  constructor({ resource, requested, available }: { resource: string; requested: number; available: number }) {
    super(`Not enough ${resource}: ${requested} requested, ${available} free.`)
    this.resource = resource
    this.requested = requested
    this.available = available
  }
}

export type InsufficientGpusErrorType = InsufficientGpusError & { name: 'InsufficientGpusError' }

/** Not enough free GPUs of a matching model and VRAM. */
export class InsufficientGpusError extends BaseError {
  override name = 'InsufficientGpusError' as const
  readonly requested: number
  readonly available: number
  constructor({ requested, available, model, vramMiB }: { requested: number; available: number; model?: string | undefined; vramMiB?: number | undefined }) {
    const what = [model ?? 'any model', vramMiB ? `at least ${vramMiB} MiB` : undefined].filter(Boolean).join(', ')
    super(`Not enough free GPUs (${what}): ${requested} requested, ${available} free.`)
    this.requested = requested
    this.available = available
  }
}

export type UnsafeBundleFolderErrorType = UnsafeBundleFolderError & { name: 'UnsafeBundleFolderError' }

/** A job folder holds something a bundle may not: a symbolic link, a device, a socket. */
export class UnsafeBundleFolderError extends BaseError {
  override name = 'UnsafeBundleFolderError' as const
  readonly path: string
  constructor({ path, kind }: { path: string; kind: string }) {
    super(`${path} is a ${kind}; bundles hold regular files only.`)
    this.path = path
  }
}

export type BundleTooLargeErrorType = BundleTooLargeError & { name: 'BundleTooLargeError' }

/** A folder holds more bytes than the caller allows in one bundle. */
export class BundleTooLargeError extends BaseError {
  override name = 'BundleTooLargeError' as const
  readonly maxBytes: number
  constructor({ path, maxBytes }: { path: string; maxBytes: number }) {
    super(`${path} holds more than ${maxBytes} bytes.`)
    this.maxBytes = maxBytes
  }
}

export type JobSpawnErrorType = JobSpawnError & { name: 'JobSpawnError' }

/** The runtime could not start the job's process at all (a provider-side fault, not the job's). */
export class JobSpawnError extends BaseError {
  override name = 'JobSpawnError' as const
  constructor({ command, cause }: { command: string; cause?: unknown }) {
    super(`Could not start ${command}.`, { cause })
  }
}

export type WrongRuntimeErrorType = WrongRuntimeError & { name: 'WrongRuntimeError' }

/** A job was handed to a runtime other than the one its manifest names. */
export class WrongRuntimeError extends BaseError {
  override name = 'WrongRuntimeError' as const
  constructor({ expected, actual }: { expected: string; actual: string }) {
    super(`A ${actual} job was given to the ${expected} runtime.`)
  }
}

export type RuntimeStoppedErrorType = RuntimeStoppedError & { name: 'RuntimeStoppedError' }

/** `run` was called on a runtime that is not started, or is stopping. */
export class RuntimeStoppedError extends BaseError {
  override name = 'RuntimeStoppedError' as const
  constructor({ runtime }: { runtime: string }) {
    super(`The ${runtime} runtime is not running.`, { hint: 'Call start() first.' })
  }
}

export type GpuDeviceMissingErrorType = GpuDeviceMissingError & { name: 'GpuDeviceMissingError' }

/** nvidia-smi lists a GPU whose device node is missing, so no sandbox could be given it. */
export class GpuDeviceMissingError extends BaseError {
  override name = 'GpuDeviceMissingError' as const
  readonly uuid: string
  constructor({ uuid, device }: { uuid: string; device: string }) {
    super(`The GPU ${uuid} has no device node at ${device}, so this provider cannot sell it.`, {
      hint: 'Load the NVIDIA driver fully (nvidia-modprobe creates the /dev/nvidia* nodes), or point --gpu-device-root at where they are.',
    })
    this.uuid = uuid
  }
}
