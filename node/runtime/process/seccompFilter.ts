// A classic-BPF seccomp program for process jobs, in the form bubblewrap's
// `--seccomp FD` reads: `struct sock_filter` entries (u16 code, u8 jt, u8 jf,
// u32 k) in the machine's byte order.
//
// The job's network namespace already has no route anywhere; this makes the
// attempt itself end the job, so the provider can name it (`NetworkDenied`):
// socket(2) for IPv4, IPv6 or raw packets kills the process (SIGSYS).
// io_uring could open sockets without socket(2), so it answers ENOSYS, which
// programs treat as "no io_uring here". System calls of another ABI (x32, or
// i386 on x86_64) could bypass these numbers, so they kill the process too.

const BPF_LD_W_ABS = 0x20
const BPF_JEQ_K = 0x15
const BPF_JGE_K = 0x35
const BPF_RET_K = 0x06

const SECCOMP_RET_KILL_PROCESS = 0x80000000
const SECCOMP_RET_ERRNO = 0x00050000
const SECCOMP_RET_ALLOW = 0x7fff0000
const ENOSYS = 38

const AF_INET = 2
const AF_INET6 = 10
const AF_PACKET = 17

/** Per-architecture numbers the filter needs. */
const ARCHES: Record<string, { audit: number; socket: number; ioUringSetup: number; x32: boolean }> = {
  x64: { audit: 0xc000003e, socket: 41, ioUringSetup: 425, x32: true },
  arm64: { audit: 0xc00000b7, socket: 198, ioUringSetup: 425, x32: false },
}

type Instruction = [code: number, jt: number, jf: number, k: number]
type Entry = { op: Instruction } | { label: string } | { jump: { code: number; k: number; whenTrue?: string; whenFalse?: string } }

const op = (code: number, k: number): Entry => ({ op: [code, 0, 0, k] })
const jump = (code: number, k: number, targets: { whenTrue?: string; whenFalse?: string }): Entry => ({ jump: { code, k, ...targets } })
const label = (name: string): Entry => ({ label: name })

/**
 * Builds the seccomp filter for this machine's architecture.
 *
 * @param arch - `process.arch`.
 * @returns The program's bytes, or `undefined` on an architecture it does not know (the job then relies on its network namespace alone).
 */
export function seccompFilter(arch: string = process.arch): Uint8Array | undefined {
  const numbers = ARCHES[arch]
  if (!numbers) return undefined
  const program: Entry[] = [
    op(BPF_LD_W_ABS, 4), // seccomp_data.arch
    jump(BPF_JEQ_K, numbers.audit, { whenFalse: 'kill' }),
    op(BPF_LD_W_ABS, 0), // seccomp_data.nr
    ...(numbers.x32 ? [jump(BPF_JGE_K, 0x40000000, { whenTrue: 'kill' })] : []),
    jump(BPF_JEQ_K, numbers.socket, { whenTrue: 'socket' }),
    jump(BPF_JEQ_K, numbers.ioUringSetup, { whenTrue: 'enosys' }),
    op(BPF_RET_K, SECCOMP_RET_ALLOW),
    label('socket'),
    op(BPF_LD_W_ABS, 16), // low 32 bits of seccomp_data.args[0] (little-endian): the domain
    jump(BPF_JEQ_K, AF_INET, { whenTrue: 'kill' }),
    jump(BPF_JEQ_K, AF_INET6, { whenTrue: 'kill' }),
    jump(BPF_JEQ_K, AF_PACKET, { whenTrue: 'kill' }),
    op(BPF_RET_K, SECCOMP_RET_ALLOW),
    label('kill'),
    op(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    label('enosys'),
    op(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS),
  ]
  // Jump offsets count instructions after the jump; labels are resolved to them.
  const labels = new Map<string, number>()
  let index = 0
  for (const entry of program) {
    if ('label' in entry) labels.set(entry.label, index)
    else index++
  }
  const instructions: Instruction[] = []
  for (const entry of program) {
    if ('label' in entry) continue
    if ('op' in entry) {
      instructions.push(entry.op)
      continue
    }
    const next = instructions.length + 1
    const offset = (target: string | undefined) => (target === undefined ? 0 : labels.get(target)! - next)
    instructions.push([entry.jump.code, offset(entry.jump.whenTrue), offset(entry.jump.whenFalse), entry.jump.k])
  }
  const bytes = new Uint8Array(instructions.length * 8)
  const view = new DataView(bytes.buffer)
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  instructions.forEach(([code, jt, jf, k], i) => {
    view.setUint16(i * 8, code, little)
    view.setUint8(i * 8 + 2, jt)
    view.setUint8(i * 8 + 3, jf)
    view.setUint32(i * 8 + 4, k >>> 0, little)
  })
  return bytes
}
