/**
 * The default number of worker threads: the CPUs this process may really use, at most
 * MAX_DEFAULT_WORKERS. Node 20's `availableParallelism()` counts the host's cores, not a
 * container's CPU limit, so a pod limited to 1 CPU on a 64-core node started 64 threads (2 GB of
 * memory). The limit is read from the cgroup: v2 `cpu.max` ("<quota> <period>" or "max"), v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none), for this process's own cgroup
 * (/proc/self/cgroup), else the hierarchy's root.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

/** Each worker holds its own heap and compiled mappings (see WORKER_MEMORY_MB): more is a choice. */
export const MAX_DEFAULT_WORKERS = 4

/**
 * Peak RSS added by each worker thread, measured: `replay --dry-run --out` over a 100,000-message
 * archive (scripts/generate-example-archive.js --messages 100000), `/usr/bin/time`, 2026-12-07:
 * 219 MB with --workers 1 (one thread), 360 MB with 2, 482 MB with 4 (see README, Workers).
 */
export const WORKER_MEMORY_MB = 70

const read = (root: string, path: string): string | undefined => {
  try {
    return readFileSync(join(root, path), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** The CPU quota of this process's cgroup in CPUs (1.5 = one and a half), or undefined when none. */
export function cgroupCpuQuota(root = '/'): number | undefined {
  const lines = (read(root, 'proc/self/cgroup') ?? '').split('\n')
  // v2: one line "0::/path".
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3)
  for (const dir of v2 !== undefined ? [join('sys/fs/cgroup', v2), 'sys/fs/cgroup'] : ['sys/fs/cgroup']) {
    const max = read(root, join(dir, 'cpu.max'))
    if (max === undefined) continue
    const [quota, period] = max.split(/\s+/)
    if (quota === 'max') return undefined
    const q = Number(quota) / Number(period || 100000)
    return Number.isFinite(q) && q > 0 ? q : undefined
  }
  // v1: "N:cpu,cpuacct:/path" (the controller list names cpu).
  const v1 = lines.map((l) => l.split(':')).find((p) => p.length >= 3 && p[1].split(',').includes('cpu'))
  const path = v1 ? v1.slice(2).join(':') : '/'
  for (const mount of ['sys/fs/cgroup/cpu', 'sys/fs/cgroup/cpu,cpuacct', 'sys/fs/cgroup/cpuacct,cpu']) {
    for (const dir of [join(mount, path), mount]) {
      const quota = read(root, join(dir, 'cpu.cfs_quota_us'))
      if (quota === undefined) continue
      const period = Number(read(root, join(dir, 'cpu.cfs_period_us')) ?? 100000)
      const q = Number(quota) / period
      return Number(quota) > 0 && Number.isFinite(q) ? q : undefined
    }
  }
  return undefined
}

/** min(cores, whole CPUs of the quota, MAX_DEFAULT_WORKERS), at least 1. Pure. */
export function defaultWorkers(o: { cores: number; quota?: number }): number {
  const quota = o.quota !== undefined ? Math.floor(o.quota) : Infinity
  return Math.max(1, Math.min(o.cores, quota, MAX_DEFAULT_WORKERS))
}

/** The default --workers of this process. */
export function defaultWorkersHere(): number {
  return defaultWorkers({ cores: availableParallelism(), quota: cgroupCpuQuota() })
}
