import { execFile, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { chmod, lstat, mkdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { JobLimits } from '../../../protocol/job/jobManifestSchema.ts'
import { type Logger, logger as createLogger } from '../../log/logger.ts'
import { GpuDeviceMissingError, JobSpawnError, RuntimeStoppedError, SandboxUnavailableError, WrongRuntimeError } from '../errors.ts'
import { KILLED_EXIT_CODE, rlimitFailure, signalExitCode } from '../exitStatus.ts'
import { findExecutable } from '../findExecutable.ts'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { OutputCollector } from '../outputCollector.ts'
import { prepareWorkFolder } from '../prepareWorkFolder.ts'
import { killUserProcesses, parentPid, processTree, sampleTasks, userTaskCount } from '../procfs.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from '../runtime.ts'
import { prlimitOptions } from '../setProcessLimits.ts'
import { superviseJob } from '../superviseJob.ts'
import { bwrapArgs, gpuDevice, hostDevice, type SystemPath } from './bwrapArgs.ts'
import type { DetectedGpu } from '../resources/parseNvidiaSmiGpus.ts'
import { chownTree } from './chownTree.ts'
import { createJobCgroup } from './jobCgroup.ts'
import { probeSystemPaths } from './probeSystemPaths.ts'
import { SandboxUsers } from './sandboxUsers.ts'
import { seccompFilter } from './seccompFilter.ts'

export type ProcessRuntimeInit = {
  /** Where each run gets its own folder (a copy of the bundle). */
  workRoot: string
  /** The bubblewrap binary. Default `bwrap` on PATH. */
  bwrap?: string | undefined
  /**
   * Run jobs without a sandbox when bubblewrap is missing (rlimits only: the job
   * sees the machine and the network). Off unless the provider accepts it explicitly.
   */
  allowUnsandboxed?: boolean | undefined
  /**
   * Where run folders go when the provider runs as root (jobs then run as other
   * users, who must be able to reach their folder; a home such as /root is closed
   * to them). Created root-owned, mode 0711. Default `<tmpdir>/allot-sandbox`.
   */
  sandboxRoot?: string | undefined
  /** Host uids for sandboxes when running as root, one per running job. Default 200000–200999. */
  sandboxUids?: { first: number; count: number } | undefined
  /** How often limits are measured while a job runs, ms. Default 100. */
  pollMs?: number | undefined
  /**
   * Put each job's process tree in a cgroup of its own (memory, CPU quota, pids),
   * where the kernel lets this process make one. Default true.
   */
  cgroups?: boolean | undefined
  /** Where cgroup file systems are mounted. Default `/sys/fs/cgroup`. */
  cgroupRoot?: string | undefined
  /** Where the host's device nodes are (GPUs are bound from here). Default `/dev`. */
  deviceRoot?: string | undefined
  /** The GPUs this provider sells: `start` checks that each one's device node is there. */
  gpus?: readonly DetectedGpu[] | undefined
}

export type ProcessRuntimeComponents = { logger?: Logger | undefined }

const DEFAULTS = { bwrap: 'bwrap', allowUnsandboxed: false, sandboxUids: { first: 200_000, count: 1000 }, pollMs: 100 }

// Moves itself into each cgroup file named before `--` ("0" is the writer), then runs the rest.
const JOIN_CGROUP = 'while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift; exec "$@"'

// bubblewrap's own two processes (the monitor, and the init of the pid namespace) count against RLIMIT_NPROC too.
const SANDBOX_TASKS = 2

/**
 * The `process` runtime: a native command inside bubblewrap. Providers opt in
 * to it; without bubblewrap, `start` refuses (SandboxUnavailableError) unless
 * `allowUnsandboxed` is set.
 *
 * - isolation: see `bwrapArgs` (no network, read-only system, private /job and /tmp, no
 *   environment of the provider's), plus a seccomp filter that kills a job opening an
 *   IPv4/IPv6/packet socket (`NetworkDenied`);
 * - as root, each job runs as a uid of its own (so RLIMIT_NPROC applies and counts only it);
 * - rlimits: CPU seconds per process (RLIMIT_CPU), memory per process (RLIMIT_AS), processes
 *   and threads (RLIMIT_NPROC), file size (RLIMIT_FSIZE), no core dumps;
 * - watched while it runs: wall clock, the folder's growth against the output cap, stdout +
 *   stderr against the output cap, the thread count against `limits.processes`.
 *
 * @example
 * const runtime = createProcessRuntime({ workRoot: join(home, 'jobs') })
 * await runtime.start()
 */
export function createProcessRuntime(init: ProcessRuntimeInit, components: ProcessRuntimeComponents = {}): Runtime {
  const options = {
    workRoot: init.workRoot,
    bwrap: init.bwrap ?? DEFAULTS.bwrap,
    allowUnsandboxed: init.allowUnsandboxed ?? DEFAULTS.allowUnsandboxed,
    sandboxUids: init.sandboxUids ?? DEFAULTS.sandboxUids,
    sandboxRoot: init.sandboxRoot ?? join(tmpdir(), 'allot-sandbox'),
    pollMs: init.pollMs ?? DEFAULTS.pollMs,
    cgroups: init.cgroups ?? true,
    cgroupRoot: init.cgroupRoot,
    deviceRoot: init.deviceRoot ?? '/dev',
  }
  const log = components.logger ?? createLogger('runtime:process')
  const asRoot = process.getuid?.() === 0
  const users = new SandboxUsers(options.sandboxUids)
  const running = new Set<{ kill: () => void; closed: Promise<unknown> }>()
  let tools: { bwrap?: string | undefined; prlimit: string; setpriv?: string | undefined; sh?: string | undefined; system: SystemPath[]; seccompPath?: string | undefined } | undefined

  // The parent of run folders: under root, a folder every sandbox user can pass through but not list.
  const runRoot = asRoot ? options.sandboxRoot : options.workRoot

  const start = async ({ signal }: { signal?: AbortSignal | undefined } = {}) => {
    await mkdir(options.workRoot, { recursive: true })
    if (asRoot) await prepareSandboxRoot(options.sandboxRoot)
    const bwrap = await findExecutable(options.bwrap)
    if (!bwrap && !options.allowUnsandboxed) throw new SandboxUnavailableError({ command: options.bwrap })
    if (!bwrap) log.error('bubblewrap not found: process jobs run UNSANDBOXED (allowUnsandboxed is set)')
    for (const gpu of init.gpus ?? []) {
      const node = hostDevice(options.deviceRoot, gpuDevice(gpu))
      if (!existsSync(node)) throw new GpuDeviceMissingError({ uuid: gpu.uuid, device: node })
    }
    const system = await probeSystemPaths()
    if (bwrap) await probeSandbox(bwrap, system, { signal })
    const prlimit = await findExecutable('prlimit')
    if (!prlimit) throw new SandboxUnavailableError({ command: 'prlimit' })
    const setpriv = asRoot ? await findExecutable('setpriv') : undefined
    if (asRoot && !setpriv) throw new SandboxUnavailableError({ command: 'setpriv' })
    const filter = seccompFilter()
    let seccompPath: string | undefined
    if (filter) {
      seccompPath = join(options.workRoot, '.seccomp.bpf')
      await writeFile(seccompPath, filter)
    } else log.error('no seccomp filter for %s: network attempts fail but are not named', process.arch)
    tools = { bwrap, prlimit, setpriv, sh: await findExecutable('sh'), system, seccompPath }
  }

  const run = async (job: RunnableJob, { signal, onLog }: RunOptions = {}): Promise<RunResult> => {
    if (!tools) throw new RuntimeStoppedError({ runtime: 'process' })
    const { manifest } = job
    if (manifest.runtime !== 'process') throw new WrongRuntimeError({ expected: 'process', actual: manifest.runtime })
    const { limits } = manifest
    const begin = performance.now()
    const { workDir, outputDir, bundleBytes } = await prepareWorkFolder({ workRoot: runRoot, jobId: job.id, manifest, bundleDir: job.bundleDir, take: job.takeBundle, signal })

    const uid = asRoot ? users.take() : undefined
    if (asRoot && uid === undefined) throw new JobSpawnError({ command: 'a process job', cause: new Error('every sandbox uid is in use') })
    const fds: number[] = []
    // The whole tree's memory, CPU and process count, on top of the per-process rlimits.
    const cgroup =
      options.cgroups && tools.sh
        ? await createJobCgroup({
            jobId: job.id,
            root: options.cgroupRoot,
            limits: { memoryBytes: limits.memoryMiB * 2 ** 20, cpuMillicores: manifest.resources.cpuMillicores, pids: limits.processes + 1 + SANDBOX_TASKS },
          })
        : undefined
    try {
      if (uid !== undefined) await chownTree(workDir, uid, uid)
      // As another user, RLIMIT_NPROC counts every process of that user, the provider's included.
      const otherTasks = uid === undefined ? await userTaskCount(process.getuid?.() ?? -1) : 0
      const rlimits = prlimitOptions({
        cpuSeconds: { soft: limits.cpuSeconds, hard: limits.cpuSeconds + 1 },
        addressSpaceBytes: limits.memoryMiB * 2 ** 20,
        // One byte over the cap: a file that reaches it is then caught by the folder measure.
        fileBytes: limits.outputMiB * 2 ** 20 + 1,
        // One task of headroom, so a job that reaches its limit stays there long enough to be seen.
        // With a cgroup, one more: the cgroup's pids limit is then what refuses a fork, and it counts the refusals.
        processes: otherTasks + limits.processes + 1 + SANDBOX_TASKS + (cgroup ? 1 : 0),
      })
      const dropUser = uid === undefined ? [] : [tools.setpriv!, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--']
      let argv: string[]
      let stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe']
      let cwd = options.workRoot
      let env: NodeJS.ProcessEnv = {}
      if (tools.bwrap) {
        if (tools.seccompPath) fds.push(openSync(tools.seccompPath, 'r'))
        stdio = [...stdio, ...fds]
        const sandbox = bwrapArgs({
          manifest,
          system: tools.system,
          workDir,
          seccompFd: tools.seccompPath ? 3 : undefined,
          gpus: job.gpus,
          deviceRoot: options.deviceRoot,
          tmpBytes: Math.max(1, Math.min(manifest.resources.diskMiB, limits.memoryMiB)) * 2 ** 20,
        })
        argv = [...dropUser, tools.prlimit, ...rlimits, '--', tools.bwrap, ...sandbox]
      } else {
        cwd = workDir
        const uuids = (job.gpus ?? []).map((gpu) => gpu.uuid).join(',')
        env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: workDir, ...(uuids ? { CUDA_VISIBLE_DEVICES: uuids, NVIDIA_VISIBLE_DEVICES: uuids } : {}), ...manifest.env }
        const command = manifest.entry.startsWith('/') ? manifest.entry : join(workDir, manifest.entry)
        argv = [...dropUser, tools.prlimit, ...rlimits, '--', command, ...manifest.args]
      }
      // The first process joins the job's cgroup, then becomes the job: nothing it starts is ever outside.
      if (cgroup) argv = [tools.sh!, '-c', JOIN_CGROUP, 'allot-cgroup', ...cgroup.joinFiles, '--', ...argv]
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio })
      for (const fd of fds.splice(0)) closeSync(fd)
      if (child.pid === undefined) throw new JobSpawnError({ command: argv[0]! })
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('close', (code, exitSignal) => resolve({ code, signal: exitSignal })),
      )
      const handle = { kill: () => child.kill('SIGKILL'), closed }
      running.add(handle)

      let peakBytes = 0
      const check = async (): Promise<JobFailure | undefined> => {
        // The tree is [bwrap, its pid-namespace init, the job…]; unsandboxed, the job itself is the root.
        // With a cgroup its members are the tree, read from one file, not from a walk of every process on the machine.
        const jobPids = cgroup
          ? await jobMembers(await cgroup.pids(), child.pid!, Boolean(tools?.bwrap))
          : await processTree(child.pid!).then((tree) => (tools?.bwrap ? tree.slice(2) : tree))
        const sample = await sampleTasks(jobPids)
        peakBytes = Math.max(peakBytes, sample.peakBytes)
        const breach = await cgroup?.breach()
        if (breach) return breach
        if (sample.tasks >= limits.processes)
          return jobFailure(JobFailureName.ProcessLimitExceeded, `reached limits.processes (${limits.processes} processes and threads)`)
        return undefined
      }
      const supervisor = superviseJob({ limits, workDir, baseBytes: bundleBytes, kill: handle.kill, pollMs: options.pollMs, check, signal })
      const output = new OutputCollector(limits.outputMiB * 2 ** 20, onLog, () =>
        supervisor.fail(jobFailure(JobFailureName.OutputLimitExceeded, `wrote more than limits.outputMiB (${limits.outputMiB} MiB) to stdout and stderr`)),
      )
      child.stdout!.on('data', (chunk: Buffer) => output.push('stdout', chunk))
      child.stderr!.on('data', (chunk: Buffer) => output.push('stderr', chunk))
      const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
      const ended = await Promise.race([closed, spawnError])
      running.delete(handle)
      await supervisor.finish()
      if (ended instanceof Error) throw new JobSpawnError({ command: argv[0]!, cause: ended })

      const stdout = output.bytes('stdout')
      const stderr = output.bytes('stderr')
      const exitCode = ended.code ?? signalExitCode(ended.signal)
      const failure = supervisor.failure ?? (await cgroup?.breach()) ?? judge(exitCode, stderr, peakBytes, limits)
      if (failure) log('job %s stopped: %s (%s)', job.id, failure.name, failure.message)
      return {
        exitCode: supervisor.failure ? KILLED_EXIT_CODE : exitCode,
        stdout,
        stderr,
        workDir,
        outputDir,
        failure,
        usage: { wallMs: performance.now() - begin, memoryBytes: peakBytes || undefined },
      }
    } finally {
      for (const fd of fds) closeSync(fd)
      // The pid namespace dies with bwrap, but its processes take a moment to go; the uid
      // is handed on only once it owns nothing, so no job inherits another's processes.
      // A cgroup that could be removed held the job's last process (none can leave it),
      // so only without one is every process on the machine looked through.
      const emptied = (await cgroup?.remove()) ?? false
      if (uid !== undefined) {
        if (emptied || (await killUserProcesses(uid))) users.give(uid)
        else log.error('processes of sandbox uid %d outlived their job; the uid is retired', uid)
        await chownTree(workDir, process.getuid!(), process.getgid!()).catch(() => {})
      }
    }
  }

  return {
    kind: 'process',
    // Everything a process job runs is in its bundle or the read-only system.
    admit: async () => {},
    start,
    async stop() {
      const jobs = [...running]
      for (const job of jobs) job.kill()
      await Promise.all(jobs.map((job) => job.closed))
      tools = undefined
    },
    run,
  }
}

// The job's own processes among a cgroup's members: sandboxed, bubblewrap (the
// first process) and the init of its pid namespace (bubblewrap's child) are left out.
async function jobMembers(pids: readonly number[], first: number, sandboxed: boolean): Promise<number[]> {
  if (!sandboxed) return [...pids]
  const parents = await Promise.all(pids.map((pid) => parentPid(pid)))
  return pids.filter((pid, i) => pid !== first && parents[i] !== first)
}

// bubblewrap can be installed and still unusable (no user namespaces, a seccomp'd container):
// one empty sandbox with the jobs' namespaces shows it before any job is accepted.
async function probeSandbox(bwrap: string, system: readonly SystemPath[], { signal }: { signal?: AbortSignal | undefined }): Promise<void> {
  const binds = system.flatMap(({ path, symlink }) => (symlink !== undefined ? ['--symlink', symlink, path] : ['--ro-bind', path, path]))
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', ...binds, '--proc', '/proc', '--dev', '/dev', '--', 'true']
  await new Promise<void>((resolve, reject) => {
    execFile(bwrap, args, { signal, timeout: 10_000, env: {} }, (error, _stdout, stderr) => {
      if (error) reject(new SandboxUnavailableError({ command: bwrap, cause: new Error(stderr.trim() || error.message) }))
      else resolve()
    })
  })
}

// A world-writable parent such as /tmp lets anyone create the folder first, so one that exists must be root's and closed.
async function prepareSandboxRoot(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o711 })
  const info = await lstat(path)
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0)
    throw new SandboxUnavailableError({ command: `sandbox folder ${path}`, cause: new Error('it must be a folder owned by root and writable by root alone') })
  await chmod(path, 0o711)
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0)
      throw new SandboxUnavailableError({ command: `sandbox folder ${path}`, cause: new Error(`sandbox users cannot pass through ${dir} (it lacks o+x)`) })
    if (dir === dirname(dir)) break
  }
}

// What the exit status and the job's last words say about a limit. bubblewrap
// reports a job killed by signal n as exit status 128 + n.
function judge(exitCode: number, stderr: Uint8Array, peakBytes: number, limits: JobLimits): JobFailure | undefined {
  if (exitCode === 0) return undefined
  const enforcedByKernel = rlimitFailure(exitCode, limits)
  if (enforcedByKernel) return enforcedByKernel
  if (exitCode === signalExitCode('SIGSYS')) return jobFailure(JobFailureName.NetworkDenied, 'tried to open a network socket; jobs have no network')
  // The kernel refuses an allocation past RLIMIT_AS without a trace, so a failed job is attributed
  // to memory when it came near the limit or says it ran out (glibc, coreutils, Python, C++).
  const said = Buffer.from(stderr.subarray(-4096)).toString('utf8')
  if (peakBytes >= limits.memoryMiB * 2 ** 20 * 0.75 || /memory exhausted|cannot allocate memory|out of memory|MemoryError|bad_alloc/i.test(said))
    return jobFailure(JobFailureName.MemoryLimitExceeded, `ran out of memory within limits.memoryMiB (${limits.memoryMiB} MiB)`)
  if (/fork: (retry: )?resource temporarily unavailable|cannot fork/i.test(said))
    return jobFailure(JobFailureName.ProcessLimitExceeded, `could not start more processes within limits.processes (${limits.processes})`)
  return undefined
}
