/**
 * The default number of worker threads: the CPUs this process may really use, at most
 * MAX_DEFAULT_WORKERS. Node 20's `availableParallelism()` counts the host's cores, not a
 * container's CPU limit, so a pod limited to 1 CPU on a 64-core node started 64 threads (2 GB of
 * memory). The limit is read from the cgroup: v2 `cpu.max` ("<quota> <period>" or "max"), v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none), for this process's own cgroup
 * (/proc/self/cgroup) and each of its ancestors: the smallest quota holds.
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

/** `a/b/c` → `a/b/c`, `a/b`, `a`, `` (the cgroup and its ancestors up to the hierarchy's root). */
function upToRoot(path: string): string[] {
  const parts = path.split('/').filter(Boolean)
  return Array.from({ length: parts.length + 1 }, (_, i) => parts.slice(0, parts.length - i).join('/'))
}

/** The smallest of the quotas found, or undefined when none limits. */
const smallest = (quotas: Array<number | undefined>): number | undefined => {
  const limits = quotas.filter((q): q is number => q !== undefined && Number.isFinite(q) && q > 0)
  return limits.length > 0 ? Math.min(...limits) : undefined
}

/**
 * The CPU quota of this process's cgroup in CPUs (1.5 = one and a half), or undefined when none.
 * A limit may be set on an ancestor instead (a systemd slice's CPUQuota, a pod above its
 * container), and each level caps the ones below it: the smallest quota from the process's own
 * cgroup up to the hierarchy's root is the one that holds.
 */
export function cgroupCpuQuota(root = '/'): number | undefined {
  const lines = (read(root, 'proc/self/cgroup') ?? '').split('\n')
  // v2: one line "0::/path". Inside a container the path may not exist under its own mount: the root is read then.
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3)
  const v2Quotas = upToRoot(v2 ?? '').map((dir) => {
    const max = read(root, join('sys/fs/cgroup', dir, 'cpu.max'))
    if (max === undefined) return undefined
    const [quota, period] = max.split(/\s+/)
    return quota === 'max' ? Infinity : Number(quota) / Number(period || 100000)
  })
  if (v2Quotas.some((q) => q !== undefined)) return smallest(v2Quotas)
  // v1: "N:cpu,cpuacct:/path" (the controller list names cpu).
  const v1 = lines.map((l) => l.split(':')).find((p) => p.length >= 3 && p[1].split(',').includes('cpu'))
  const path = v1 ? v1.slice(2).join(':') : '/'
  for (const mount of ['sys/fs/cgroup/cpu', 'sys/fs/cgroup/cpu,cpuacct', 'sys/fs/cgroup/cpuacct,cpu']) {
    const v1Quotas = upToRoot(path).map((dir) => {
      const quota = read(root, join(mount, dir, 'cpu.cfs_quota_us'))
      if (quota === undefined) return undefined
      const period = Number(read(root, join(mount, dir, 'cpu.cfs_period_us')) ?? 100000)
      return Number(quota) > 0 ? Number(quota) / period : Infinity
    })
    if (v1Quotas.some((q) => q !== undefined)) return smallest(v1Quotas)
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
