import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { isCgroupV2, parseCgroupPaths, readCgroupCounter } from '../process/jobCgroup.ts'

/** How an engine lays out its containers' cgroups: `docker info`'s `CgroupDriver` and `CgroupVersion`. */
export type CgroupLayout = { driver: string; version: string }

export type RefusedForksWatch = {
  /** Whether the container's `pids.events` was read at least once (where it never was, the count is unknown). */
  reading: () => boolean
  /** Also reads the file the running container's own cgroup names (an engine with a custom cgroup parent puts it elsewhere). */
  started: () => Promise<void>
  stop: () => Promise<void>
}

/**
 * Where the engine will put a container's `pids.events`, known once the container is created and before it
 * starts. A bomb can fill its limit, make its shell fail to fork, and end within milliseconds of the start;
 * the engine then removes the cgroup before `inspect` names the container's pid, so the watch must already
 * be reading by then.
 */
export function predictedPidsEventsFile(containerId: string, { driver, version }: CgroupLayout, root = '/sys/fs/cgroup'): string {
  const dir = driver === 'systemd' ? join('system.slice', `docker-${containerId}.scope`) : join('docker', containerId)
  return version === '2' ? join(root, dir, 'pids.events') : join(root, 'pids', dir, 'pids.events')
}

/**
 * Watches the count of forks the kernel refused a container (its cgroup's `pids.events`), every `everyMs`,
 * from before its start until `stop`: at the predicted file, and from `started` at the one its pid's cgroup
 * names. The engine removes the cgroup the moment the container exits, so a bomb that hits the limit and
 * ends between two supervisor polls would otherwise go unnamed. Calls `onRefused` once.
 */
export function watchRefusedForks(container: Docker.Container, predicted: string | undefined, onRefused: () => void, everyMs = 5): RefusedForksWatch {
  let stopped = false
  let read = false
  let actual: string | undefined
  const begun = performance.now()
  const refused = async (file: string): Promise<boolean> => {
    const count = await readCgroupCounter(file, 'max')
    if (count !== undefined) read = true
    return (count ?? 0) > 0
  }
  const done = (async () => {
    for (;;) {
      const files = [...new Set([predicted, actual].filter((file): file is string => file !== undefined))]
      for (const file of files) if (await refused(file)) return onRefused()
      if (stopped) return
      // Every millisecond for the first two seconds, when a bomb that ends at once lives and dies.
      await new Promise((resolve) => setTimeout(resolve, performance.now() - begun < 2_000 ? 1 : everyMs))
    }
  })()
  return {
    reading: () => read,
    started: async () => {
      const pid = await container.inspect().then(({ State }) => State.Pid, () => 0)
      if (pid) actual = await pidsEventsFile(pid)
    },
    stop: async () => {
      stopped = true
      await done
    },
  }
}

/** The `pids.events` file of a running process's cgroup (v1 or v2), if this process can see it. */
async function pidsEventsFile(pid: number, root = '/sys/fs/cgroup'): Promise<string | undefined> {
  const paths = parseCgroupPaths(await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''))
  const v2 = isCgroupV2(root)
  const path = v2 ? paths[''] : paths.pids
  if (!path) return undefined
  return v2 ? join(root, path, 'pids.events') : join(root, 'pids', path, 'pids.events')
}
