/**
 * The default number of --workers (issue #21 item 8): the cores this process may use, from the
 * cgroup CPU quota when there is one (a container's limit, which Node 20's availableParallelism
 * does not see), capped at 4 (each worker costs memory; --help says how much).
 */
import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { cgroupCpuQuota, defaultWorkers, MAX_DEFAULT_WORKERS } from '../../src/cli/cpu-quota.js'
import { runCli } from '../helpers/cli.js'
import { tempDir, writeFile } from '../helpers/files.js'

const fsWith = (files: Record<string, string>) => {
  const root = tempDir()
  for (const [p, text] of Object.entries(files)) writeFile(join(root, p), text)
  return root
}

describe('default --workers', () => {
  it("reads a cgroup v2 cpu.max quota (the process's own cgroup first, then the root)", () => {
    assert.equal(cgroupCpuQuota(fsWith({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '150000 100000\n' })), 1.5)
    assert.equal(
      cgroupCpuQuota(fsWith({ 'proc/self/cgroup': '0::/kubepods/pod1\n', 'sys/fs/cgroup/kubepods/pod1/cpu.max': '200000 100000\n', 'sys/fs/cgroup/cpu.max': 'max 100000\n' })),
      2,
    )
    assert.equal(cgroupCpuQuota(fsWith({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': 'max 100000\n' })), undefined)
  })

  it('a quota on an ancestor cgroup counts too, the smallest one wins (a systemd slice with CPUQuota, a pod limit above its container)', () => {
    // The process's own cgroup sets no limit ("max"), its slice does: 1 CPU, not the host's cores.
    assert.equal(
      cgroupCpuQuota(
        fsWith({
          'proc/self/cgroup': '0::/ci.slice/job-7.scope\n',
          'sys/fs/cgroup/ci.slice/job-7.scope/cpu.max': 'max 100000\n',
          'sys/fs/cgroup/ci.slice/cpu.max': '100000 100000\n',
        }),
      ),
      1,
    )
    assert.equal(
      cgroupCpuQuota(
        fsWith({
          'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
          'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '400000 100000\n',
          'sys/fs/cgroup/kubepods/pod1/cpu.max': '250000 100000\n',
          'sys/fs/cgroup/kubepods/cpu.max': 'max 100000\n',
        }),
      ),
      2.5,
    )
    assert.equal(
      cgroupCpuQuota(
        fsWith({
          'proc/self/cgroup': '1:cpu,cpuacct:/batch/job1\n',
          'sys/fs/cgroup/cpu,cpuacct/batch/job1/cpu.cfs_quota_us': '-1\n',
          'sys/fs/cgroup/cpu,cpuacct/batch/job1/cpu.cfs_period_us': '100000\n',
          'sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us': '200000\n',
          'sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_period_us': '100000\n',
        }),
      ),
      2,
    )
  })

  it('reads a cgroup v1 cfs quota and period; -1 is no limit', () => {
    assert.equal(
      cgroupCpuQuota(fsWith({ 'proc/self/cgroup': '1:cpu,cpuacct:/\n', 'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000\n', 'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' })),
      3,
    )
    assert.equal(
      cgroupCpuQuota(
        fsWith({ 'proc/self/cgroup': '1:cpu,cpuacct:/\n', 'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n', 'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n' }),
      ),
      undefined,
    )
    assert.equal(cgroupCpuQuota(fsWith({})), undefined)
  })

  it('is the smaller of the cores and the quota (whole CPUs, at least 1), at most 4', () => {
    assert.equal(MAX_DEFAULT_WORKERS, 4)
    assert.equal(defaultWorkers({ cores: 64 }), 4)
    assert.equal(defaultWorkers({ cores: 64, quota: 2 }), 2)
    assert.equal(defaultWorkers({ cores: 64, quota: 1.5 }), 1)
    assert.equal(defaultWorkers({ cores: 64, quota: 0.5 }), 1)
    assert.equal(defaultWorkers({ cores: 3, quota: 8 }), 3)
  })

  it('replay --help states the default and the memory each worker costs', async () => {
    const r = await runCli(['replay', '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stderr + r.stdout, /default: the CPUs this process may use \(cgroup quota included\), at most 4/)
    assert.match(r.stdout, /about \d+ MB of memory per worker/)
  })
})
