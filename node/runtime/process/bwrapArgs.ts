import type { JobManifest } from '../../../protocol/job/jobManifestSchema.ts'
import type { DetectedGpu } from '../resources/parseNvidiaSmiGpus.ts'

/** How a top-level system path looks on this machine, so the sandbox can mirror it read-only. */
export type SystemPath = { path: string; symlink?: string | undefined }

/** Files of /etc that programs need to run (the dynamic linker, users, time zone, certificates). */
export const SANDBOX_ETC = [
  '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/passwd', '/etc/group',
  '/etc/nsswitch.conf', '/etc/localtime', '/etc/ssl', '/etc/ca-certificates', '/etc/mime.types',
]

/** Device nodes every NVIDIA job needs besides its own GPUs. */
export const NVIDIA_CONTROL_DEVICES = ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset']

/** Where the job's folder appears inside the sandbox. */
export const SANDBOX_JOB_DIR = '/job'

export type BwrapArgsParameters = {
  manifest: JobManifest
  /** The system paths to mirror (from `probeSystemPaths`). */
  system: readonly SystemPath[]
  /** The job's folder, bound at /job (the sandbox's user must be able to reach it). */
  workDir: string
  /** fd of the seccomp program, if any. */
  seccompFd?: number | undefined
  /** GPUs given to the job: their device nodes are bound, and CUDA is told about them. */
  gpus?: readonly DetectedGpu[] | undefined
  /** Size of the job's private /tmp (tmpfs, so memory), bytes. */
  tmpBytes: number
  /** Where the host's device nodes are. Default `/dev`; they appear at /dev inside the sandbox. */
  deviceRoot?: string | undefined
}

/**
 * The bubblewrap command line for one process job: every namespace unshared
 * (no network but its own loopback, its own pids, no nested user namespaces),
 * the system read-only, the job's folder at /job as the only writable place
 * besides a private /tmp, an environment made of the manifest's `env` and
 * nothing of the provider's, and the sandbox dies with the provider.
 *
 * @returns Arguments for `bwrap`, ending with the command and its arguments.
 */
export function bwrapArgs({ manifest, system, workDir, seccompFd, gpus = [], tmpBytes, deviceRoot = '/dev' }: BwrapArgsParameters): string[] {
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']
  args.push('--hostname', 'allot-job', '--cap-drop', 'ALL')
  for (const { path, symlink } of system) {
    if (symlink !== undefined) args.push('--symlink', symlink, path)
    else args.push('--ro-bind', path, path)
  }
  for (const path of SANDBOX_ETC) args.push('--ro-bind-try', path, path)
  args.push('--proc', '/proc', '--dev', '/dev')
  args.push('--size', String(tmpBytes), '--tmpfs', '/tmp')
  args.push('--bind', workDir, SANDBOX_JOB_DIR, '--chdir', SANDBOX_JOB_DIR)
  if (gpus.length > 0) {
    for (const device of NVIDIA_CONTROL_DEVICES) args.push('--dev-bind-try', hostDevice(deviceRoot, device), device)
    // NVML (nvidia-smi, CUDA's device queries) reads the driver's entries under /sys; read-only, as Docker GPU containers have it.
    args.push('--ro-bind-try', '/sys', '/sys')
    for (const gpu of gpus) args.push('--dev-bind', hostDevice(deviceRoot, gpuDevice(gpu)), gpuDevice(gpu))
    // Only the bound devices can be opened anyway; CUDA is told so it does not look for the others.
    const uuids = gpus.map((gpu) => gpu.uuid).join(',')
    args.push('--setenv', 'CUDA_VISIBLE_DEVICES', uuids, '--setenv', 'NVIDIA_VISIBLE_DEVICES', uuids)
  }
  if (seccompFd !== undefined) args.push('--seccomp', String(seccompFd))
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: SANDBOX_JOB_DIR, TMPDIR: '/tmp', ...manifest.env }
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value)
  const command = manifest.entry.startsWith('/') ? manifest.entry : `${SANDBOX_JOB_DIR}/${manifest.entry}`
  args.push('--', command, ...manifest.args)
  return args
}

/** The device node of one GPU, as the driver numbers it (by minor number where known). */
export function gpuDevice(gpu: DetectedGpu): string {
  return `/dev/nvidia${gpu.minor ?? gpu.index}`
}

/** Where a `/dev/…` node is on the host, under `deviceRoot`. */
export function hostDevice(deviceRoot: string, device: string): string {
  return `${deviceRoot.replace(/\/$/, '')}${device.slice('/dev'.length)}`
}
