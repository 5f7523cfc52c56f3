/**
 * The `instructions` section of `npm run bench` (opt-in: `BENCH_ONLY=instructions`; needs
 * valgrind). CPU seconds on a shared 2-core machine move with whatever else runs there (the same
 * dry run costs 2.7 CPU-s in a quiet hour and 4 CPU-s beside two busy neighbours); instruction
 * counts do not. Each scenario runs under `valgrind --tool=callgrind`, with V8 on one thread
 * (`node --single-threaded`: no concurrent compiler or GC threads, so a run's count repeats to
 * within ~1 %: 0.14 % between two dry runs of 10,000 messages), over two archives of different sizes; the difference between the two is
 * the work per message with start-up and warm-up taken out (the marginal cost), and the smaller
 * run's count less that is the fixed part.
 *
 * Three scenarios, the same the CPU-second rows time: the floor (gunzip + JSON.parse +
 * JSON.stringify), the `--workers 1` dry run with `--out` (the CLI command class, as cli.js runs
 * it), and the live replay into a sandbox in its own process (throttling lifted; valgrind counts
 * the replay's process only, not the sandbox's). What it prints: instructions per message of each,
 * the dry run's ratio to the floor (marginal, and projected to BENCH_MESSAGES with the fixed parts
 * included, as the dry-run row compares whole processes), and the live run's instructions per
 * event against the dry run's (the ratio the live-CPU goal is about, without the neighbour).
 * Under valgrind a run is ~50× slower: timers (the once-a-second checkpoint, progress) fire more
 * often per message than in a real run, so the live figure errs high.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DATA, ROOT } from './data.js'

const LIFTED = { httpApiEps: 1e9, batchEps: 1e9, httpApiProjectEps: 1e9, batchProjectEps: 1e9 }

/** Runs one scenario under callgrind; returns its instruction count and its result. */
export function countInstructions(name, params, dist, log) {
  const out = join(DATA, `callgrind-${process.pid}.out`)
  const resultFile = join(DATA, `result-cg-${process.pid}.json`)
  rmSync(resultFile, { force: true })
  log(`… instructions: ${name} ${params.label ?? ''}`)
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', join(ROOT, 'bench', 'scenarios', `${name}.js`), JSON.stringify(params)],
    {
      cwd: ROOT,
      env: { ...process.env, SEGAMP_DIST: dist, BENCH_RESULT_FILE: resultFile, FORCE_COLOR: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  rmSync(out, { force: true })
  const m = /Collected : (\d+)/.exec(String(r.stderr ?? ''))
  let result
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8'))
  } catch {
    result = { error: r.error ? String(r.error.message) : `no result (exit ${r.status ?? r.signal})` }
  }
  rmSync(resultFile, { force: true })
  return { instructions: m ? Number(m[1]) : undefined, result, error: m ? result.error : (result.error ?? 'valgrind printed no count') }
}

/** The three scenarios' parameters over one archive (`work`: a scratch folder of the bench). */
function scenarios(archive, work) {
  return {
    floor: ['floor', { files: archive.files, stringify: true }],
    dry: [
      'cli',
      {
        command: 'replay',
        argv: [archive.dir, '--dry-run', '--out', join(work, 'cg-dry.ndjson'), '--fresh', '--no-progress', '--json', '--workers', '1', '--state-dir', join(work, 'cg-state-dry')],
      },
    ],
    live: ['sandbox', { inputs: [archive.dir], stateDir: join(work, 'cg-state-live'), limits: LIFTED, separate: true }],
  }
}

/**
 * Counts the three scenarios over the `small` and `large` archives and returns the printed lines.
 * `messages`: the size the dry-run rows use (the projection's).
 */
export function instructionLines({ small, large, messages, dist, work, log }) {
  const counts = {}
  for (const [size, archive] of [
    ['small', small],
    ['large', large],
  ]) {
    for (const [kind, [name, params]] of Object.entries(scenarios(archive, work))) {
      rmSync(join(work, `cg-state-${kind}`), { recursive: true, force: true })
      const c = countInstructions(name, { ...params, label: `(${archive.messages} messages)` }, dist, log)
      rmSync(join(work, 'cg-dry.ndjson'), { force: true })
      if (c.error || c.instructions === undefined) return [`instructions: ${kind} over ${archive.messages} messages failed: ${c.error}`]
      ;(counts[kind] ??= {})[size] = c
    }
  }
  const n = large.messages - small.messages
  const per = (k) => (counts[k].large.instructions - counts[k].small.instructions) / n
  const fixedPart = (k) => counts[k].small.instructions - per(k) * small.messages
  const at = (k, m) => fixedPart(k) + per(k) * m
  // A dry run reports sent: 0 and what it would have sent as wouldSend; a live run the other way round.
  const events = (k, s) => Math.max(counts[k][s].result.summary?.sent ?? 0, counts[k][s].result.summary?.wouldSend ?? 0)
  const perEvent = (k) => (counts[k].large.instructions - counts[k].small.instructions) / (events(k, 'large') - events(k, 'small'))
  const g = (v) => `${(v / 1e9).toFixed(2)} G`
  const k = (v) => `${(v / 1e3).toFixed(1)} k`
  return [
    `valgrind --tool=callgrind, node --single-threaded, ${small.messages.toLocaleString('en-US')} and ${large.messages.toLocaleString('en-US')} messages (machine load does not change a count; a run's total repeats to within ~1 %, a per-message figure, the difference of two runs, to within a few %)`,
    `totals: ${Object.entries(counts)
      .map(([kind, c]) => `${kind} ${g(c.small.instructions)} / ${g(c.large.instructions)}`)
      .join(', ')}`,
    `per message (marginal): floor ${k(per('floor'))}, dry run --workers 1 --out ${k(per('dry'))}, live ${k(per('live'))}; fixed parts (start-up, warm-up): floor ${g(fixedPart('floor'))}, dry run ${g(fixedPart('dry'))}, live ${g(fixedPart('live'))}`,
    `dry run vs the floor by instructions: ${(per('dry') / per('floor')).toFixed(2)}× per message; ${(at('dry', messages) / at('floor', messages)).toFixed(2)}× for ${messages.toLocaleString('en-US')} messages with the fixed parts (the dry-run row's whole-process comparison; its goal ≤ 2.5× is by CPU seconds)`,
    `live vs dry run by instructions per event: ${(perEvent('live') / perEvent('dry')).toFixed(2)}× (${k(perEvent('live'))} vs ${k(perEvent('dry'))}; the live-CPU goal ≤ 1.3× is by CPU seconds, with the sandbox's process beside it on the same two cores)`,
  ]
}
