#!/usr/bin/env node
/**
 * segamp benchmarks: `npm run bench` (= `npm run build && node bench/run.js`).
 * Prints figures; never asserts. Everything generated goes to bench/data/ (git-ignored).
 *
 * How it measures
 * - The library is the compiled one: a snapshot of dist/ (built by `npm run build`) copied to
 *   bench/data/dist-snapshot/ at start (lib/dist.js), because other work rebuilds dist/ with
 *   `rm -rf dist` at any time; scenarios import it from there (SEGAMP_DIST). If dist/ is
 *   missing or incomplete the snapshot is compiled from src/ with tsc --outDir.
 * - Every scenario runs in its own child process (bench/scenarios/*.js); the child reports its
 *   wall time for the work (hrtime, excluding Node startup), its CPU time (user+system, whole
 *   process) and its peak RSS (`process.resourceUsage().maxRSS` at exit). Nothing is shared.
 * - CPU seconds are printed next to wall seconds: on a shared machine the wall clock measures
 *   the neighbours too. Ratios to the floor are given on both.
 * - Archives come from scripts/generate-example-archive.js, generated once per parameter set
 *   and reused (lib/data.js).
 *
 * Scenarios
 *   read     ~BENCH_READ_MB (1024) and ~BENCH_READ_SMALL_MB (256) MB uncompressed gzip archives:
 *            Node floor (createReadStream → createGunzip → split lines → JSON.parse) vs segamp's
 *            reader (bare loop over openArchive().items()), plus inspectArchives() (BENCH_INSPECT=0
 *            skips it). Goals: ≤ 1.5× floor, RSS < 150 MB at any size.
 *   mapping  preset mappings, segamp compileMapping vs @segment/actions-core transform, on the
 *            first BENCH_MAP_EVENTS (30000) messages of the BENCH_MESSAGES archive. Goal ≥ 10×.
 *   startup  `replay --help` and `replay --dry-run` of a 20-line archive through bin/main.js (the CLI
 *            as started by a user, Node start-up included), BENCH_REPEAT runs. Goal: the 20-line run < 0.4 s.
 *   ladder   the dry-run cost ladder over the BENCH_MESSAGES archive, ratios to the floor (gunzip +
 *            JSON.parse + JSON.stringify): reading, + routing, + mapping and validation, + serialise
 *            and write --out (scenarios/ladder.js), full CLI --workers 1 — each with the exact mapping
 *            path (SEGAMP_MAP=exact, "before") and the compiled path ("after"); the compiled path's
 *            fallback rate; whether both paths' --out are byte-identical.
 *   dryrun   `segamp replay ARCHIVE --dry-run --out FILE --fresh --no-progress --json --workers 1|2`
 *            over the BENCH_MESSAGES (100000) archive vs the floor + JSON.stringify per message,
 *            BENCH_REPEAT runs interleaved. Goals: --workers 1 ≤ 2.5× the floor; --workers 2 ≥ 1.45×
 *            the throughput of --workers 1 (next to the floor on 2 threads, files dealt out between them:
 *            what 2 threads gain on this machine at most); the parallel overhead (extra CPU per message of --workers 2) and the
 *            projected speed-up on 4, 8 and 16 cores (parallelOverhead); then both over 3× the input (BENCH_RSS3X=0 skips):
 *            peak RSS ≤ 1.3× the RSS at 1×.
 *   sandbox  `segamp replay ARCHIVE --sandbox --fresh --no-progress --json` (in-process
 *            Amplitude sandbox, no faults): events/s and peak RSS (sandbox included). The
 *            sandbox enforces Amplitude's 30 events/s per user/device, and the generated
 *            archives have 60 users, so this run waits on 429 pauses. Two more runs (library
 *            replay() + startSandbox with those limits lifted; BENCH_SANDBOX_UNTHROTTLED=0
 *            skips them) show the pipeline's own rate, the second with the sandbox in its own
 *            process so that peak RSS and CPU are the replay's alone.
 *   diff     `segamp diff-mappings ARCHIVE --format json --no-progress`: messages/s.
 *   against  `segamp diff-mappings ARCHIVE --against EXPORT --format json --no-progress` on the
 *            BENCH_MESSAGES archive and on one BENCH_AGAINST_SCALE (10) times larger, each with an
 *            export built from what the presets send (scenarios/make-export.js: identifications
 *            at upload time without $insert_id, as Classic left them). Goal: peak RSS at 10× ≤
 *            1.3× the RSS at 1× (the pairing is partitioned on disk).
 *   kit      `node --import tsx bench/mapping-kit.ts` and `bench/fql.bench.ts` (same as npx tsx), output as printed.
 *   s3       the BENCH_MESSAGES (100000) archive read from s3:// (s3rver in its own process on
 *            127.0.0.1, the server the tests use) vs from disk: the bare reader and
 *            inspectArchives, BENCH_REPEAT runs each, interleaved. Goal ≤ 1.3× disk (wall).
 *   instructions  (opt-in: not in the default list; needs valgrind) the floor, the --workers 1 dry run
 *            and the live replay (sandbox-free) under valgrind --tool=callgrind with node --single-threaded,
 *            over BENCH_INSTRUCTION_MESSAGES (10000) and twice as many messages: instructions per message
 *            (marginal) and the ratios the CPU goals are about, repeatable whatever the machine's load
 *            (lib/instructions.js). About 10 minutes.
 *   profile  (BENCH_PROFILE=1 or a list of sandbox,sandbox-free,dryrun,diff; off by default) those scenarios
 *            again under node --cpu-prof; prints where the CPU goes (the .cpuprofile files are
 *            kept in bench/data/profiles/; summarize one with node bench/lib/profile.js FILE).
 *
 * Knobs (env): BENCH_READ_MB, BENCH_READ_SMALL_MB (0 skips), BENCH_MESSAGES, BENCH_MAP_EVENTS,
 *   BENCH_MAP_SECONDS (2), BENCH_REPEAT (3: floor and reader run N times interleaved; the table
 *   shows the least wall and, separately, the least CPU of each, and the largest peak RSS —
 *   on a shared machine single runs vary by ±20 %), BENCH_INSPECT (1), BENCH_PROFILE (0), BENCH_ONLY=read,mapping,startup,ladder,dryrun,sandbox,diff,against,kit,s3
 *   (default all), BENCH_AGAINST_SCALE (10), BENCH_JSON=FILE (all raw results).
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { DATA, ROOT, ensureArchive } from './lib/data.js'
import { snapshotDist } from './lib/dist.js'
import { formatProfile, summarizeProfile } from './lib/profile.js'
import { instructionLines } from './lib/instructions.js'

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : Number(process.env[k]))
const READ_MB = env('BENCH_READ_MB', 1024)
const READ_SMALL_MB = env('BENCH_READ_SMALL_MB', 256)
const MESSAGES = env('BENCH_MESSAGES', 100000)
const MAP_EVENTS = env('BENCH_MAP_EVENTS', 30000)
const MAP_SECONDS = env('BENCH_MAP_SECONDS', 2)
const REPEAT = Math.max(1, env('BENCH_REPEAT', 3))
const INSPECT = env('BENCH_INSPECT', 1) !== 0
const SANDBOX_UNTHROTTLED = env('BENCH_SANDBOX_UNTHROTTLED', 1) !== 0
const PROFILE = ['', '0'].includes(process.env.BENCH_PROFILE ?? '')
  ? []
  : process.env.BENCH_PROFILE === '1'
    ? ['sandbox']
    : process.env.BENCH_PROFILE.split(',').map((s) => s.trim())
const ONLY = new Set((process.env.BENCH_ONLY ?? 'read,mapping,startup,ladder,dryrun,sandbox,diff,against,kit,s3').split(',').map((s) => s.trim()))
if (PROFILE.length) ONLY.add('profile')

const log = (s) => process.stderr.write(s + '\n')
const started = Date.now()
mkdirSync(DATA, { recursive: true })
const load0 = loadavg()

const snap = snapshotDist(log)
const results = []
const rows = []

/** Runs bench/scenarios/<name>.js in a child process; returns its result (plus stderr on failure). */
function child(name, params, { nodeArgs = [], label, env: extraEnv = {} } = {}) {
  const resultFile = join(DATA, `result-${process.pid}.json`)
  rmSync(resultFile, { force: true })
  log(`… ${label ?? name}`)
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [...nodeArgs, join(ROOT, 'bench', 'scenarios', `${name}.js`), JSON.stringify(params)], {
    cwd: ROOT,
    env: { ...process.env, SEGAMP_DIST: snap.dir, BENCH_RESULT_FILE: resultFile, FORCE_COLOR: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  })
  let res
  try {
    res = JSON.parse(readFileSync(resultFile, 'utf8'))
  } catch {
    res = { error: `no result (exit ${r.status ?? r.signal})` }
  }
  rmSync(resultFile, { force: true })
  res.processSeconds = (Date.now() - t0) / 1000
  if (res.error || r.status !== 0) {
    res.error ??= `exit ${r.status ?? r.signal}`
    res.stderr = String(r.stderr ?? '').slice(-3000)
    log(`    FAILED: ${res.error}\n${res.stderr}`)
  }
  results.push({ scenario: label ?? name, params, result: res })
  return res
}

const mb = (kb) => (kb === undefined || !Number.isFinite(kb) ? '-' : (kb / 1024).toFixed(0))
const fixed = (v, d = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d))
const int = (v) => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'))
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '-')

function row(scenario, messages, res, extra = {}) {
  rows.push({
    scenario,
    messages: int(messages),
    wall: fixed(res.wallSeconds),
    cpu: fixed(res.cpuSeconds),
    rate: res.error ? 'FAILED' : int(extra.rate ?? messages / res.wallSeconds),
    rss: mb(res.maxRssKB),
    vsWall: extra.vsWall ?? '',
    vsCpu: extra.vsCpu ?? '',
    notes: extra.notes ?? '',
  })
}

/** Repeated runs → one: best (least) wall and, separately, least CPU; the largest peak RSS. */
function best(list) {
  const ok = list.filter((r) => !r.error)
  if (ok.length === 0) return list[0]
  const byWall = [...ok].sort((a, b) => a.wallSeconds - b.wallSeconds)[0]
  return {
    ...byWall,
    cpuSeconds: Math.min(...ok.map((r) => r.cpuSeconds)),
    maxRssKB: Math.max(...ok.map((r) => r.maxRssKB)),
    rssQuartersMB: ok.map((r) => r.rssQuartersMB ?? []).reduce((a, q) => a.map((v, i) => Math.max(v, q[i] ?? 0))),
    runs: ok.map((r) => ({ wall: r.wallSeconds, cpu: r.cpuSeconds, rssMB: Math.round(r.maxRssKB / 1024) })),
  }
}
const runsNote = (res) => (res.runs && res.runs.length > 1 ? `; runs wall ${res.runs.map((r) => r.wall.toFixed(1)).join('/')} s` : '')
const goals = []

// ---------------------------------------------------------------- 1. read
if (ONLY.has('read')) {
  for (const [size, withInspect] of [
    [READ_MB, INSPECT],
    [READ_SMALL_MB, INSPECT],
  ]) {
    if (!size) continue
    const a = ensureArchive({ mb: size, seed: 11, days: 4, filesPerDay: 4 }, log)
    const floors = []
    const reads = []
    for (let i = 0; i < REPEAT; i++) {
      floors.push(child('floor', { files: a.files }, { label: `read ${size} MB: Node floor` }))
      reads.push(child('read', { inputs: [a.dir], mode: 'items' }, { label: `read ${size} MB: segamp reader` }))
    }
    const floor = best(floors)
    const read = best(reads)
    const gz = `${(a.compressedBytes / 1048576).toFixed(0)} MB gz, ${a.files.length} files`
    const mbps = (res) =>
      `${((floor.uncompressedChars ?? 0) / 1048576 / res.wallSeconds).toFixed(0)} MB/s; RSS by quarter ${res.rssQuartersMB?.join('/') ?? '-'} MB, V8 heap ${mb((res.memory?.heapTotal ?? NaN) / 1024)} MB at end`
    row(`read ${size} MB: Node floor`, floor.messages, floor, { notes: `${(floor.uncompressedChars / 1048576).toFixed(0)} MB, ${gz}; ${mbps(floor)}${runsNote(floor)}` })
    row(`read ${size} MB: segamp reader`, read.messages, read, {
      vsWall: ratio(read.wallSeconds, floor.wallSeconds),
      vsCpu: ratio(read.cpuSeconds, floor.cpuSeconds),
      notes: `${mbps(read)}${runsNote(read)}; goal ≤ 1.5×, RSS < 150 MB`,
    })
    goals.push(
      `read ${size} MB: ${ratio(read.wallSeconds, floor.wallSeconds)} of the floor by wall, ${ratio(read.cpuSeconds, floor.cpuSeconds)} by CPU (goal ≤ 1.5×); peak RSS ${mb(read.maxRssKB)} MB (goal < 150 MB; floor ${mb(floor.maxRssKB)} MB)`,
    )
    if (withInspect) {
      const ins = child('read', { inputs: [a.dir], mode: 'inspect' }, { label: `read ${size} MB: segamp inspectArchives` })
      row(`read ${size} MB: inspectArchives`, ins.messages, ins, {
        vsWall: ratio(ins.wallSeconds, floor.wallSeconds),
        vsCpu: ratio(ins.cpuSeconds, floor.cpuSeconds),
        notes: `reader + scan + duplicate counting + profile; RSS by quarter ${ins.rssQuartersMB?.join('/') ?? '-'} MB, V8 heap ${mb((ins.memory?.heapTotal ?? NaN) / 1024)} MB at end`,
      })
    }
  }
}

// ---------------------------------------------------------------- archive for 2–5
const needSmall = ['mapping', 'ladder', 'dryrun', 'sandbox', 'diff', 'against', 'profile', 's3'].some((s) => ONLY.has(s))
const small = needSmall ? ensureArchive({ messages: MESSAGES, seed: 7, days: 3, filesPerDay: 2 }, log) : undefined
const work = join(DATA, 'work')
const cleanWork = () => {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
}

// ---------------------------------------------------------------- s3 vs disk
if (ONLY.has('s3')) {
  const server = { dir: join(DATA, `s3rver-m${MESSAGES}`), bucket: 'bench-archive', prefix: 'segment-logs/', root: small.dir, files: small.files }
  mkdirSync(server.dir, { recursive: true })
  for (const mode of ['items', 'inspect']) {
    const disks = []
    const remotes = []
    for (let i = 0; i < REPEAT; i++) {
      disks.push(child('read', { inputs: [small.dir], mode }, { label: `s3 ${mode}: from disk` }))
      remotes.push(child('s3-read', { server, mode }, { label: `s3 ${mode}: from s3rver` }))
    }
    const disk = best(disks)
    const remote = best(remotes)
    const what = mode === 'items' ? 'reader' : 'inspectArchives'
    row(`s3: ${what} from disk`, disk.messages, disk, { notes: `${(small.compressedBytes / 1048576).toFixed(1)} MB gz, ${small.files.length} files${runsNote(disk)}` })
    row(`s3: ${what} from s3://`, remote.messages, remote, {
      vsWall: ratio(remote.wallSeconds, disk.wallSeconds),
      vsCpu: ratio(remote.cpuSeconds, disk.cpuSeconds),
      notes: `vs disk; listing included${remote.listSeconds !== undefined ? ` (${fixed(remote.listSeconds)} s to the first byte: SDK load, region, listing)` : ''}; s3rver in its own process used ${fixed(remote.serverCpuSeconds)} CPU s${runsNote(remote)}; goal ≤ 1.3×`,
    })
    const streaming =
      remote.listSeconds !== undefined
        ? `; after the first byte (SDK loaded, region found, listed: ${fixed(remote.listSeconds)} s) ${ratio(remote.wallSeconds - remote.listSeconds, disk.wallSeconds)}`
        : ''
    goals.push(
      `s3 ${what}: reading from s3:// (local s3rver) is ${ratio(remote.wallSeconds, disk.wallSeconds)} of reading from disk by wall${streaming}, ${ratio(remote.cpuSeconds, disk.cpuSeconds)} by the reader's CPU (goal ≤ 1.3×)${remote.messages === disk.messages ? '' : `; MESSAGE COUNTS DIFFER (${remote.messages} vs ${disk.messages})`}`,
    )
  }
}

// ---------------------------------------------------------------- 2. mapping
let mapping
if (ONLY.has('mapping')) {
  mapping = child('mapping', { files: small.files, events: MAP_EVENTS, minSeconds: MAP_SECONDS }, { label: `mapping: ${MAP_EVENTS} events, presets` })
  if (!mapping.error) {
    const speedup = mapping.segamp.mappingsPerSecond / mapping.core.mappingsPerSecond
    const notes = `${int(mapping.pairs)} (preset, event) pairs; rate = mappings per CPU s (per wall s: ${int(mapping.core.wallMappingsPerSecond)}); ${mapping.mismatches}/${mapping.sampleChecked} sampled outputs differ`
    rows.push({
      scenario: 'mapping: actions-core transform',
      messages: int(mapping.events),
      wall: fixed(mapping.core.seconds),
      cpu: fixed(mapping.core.cpuSeconds),
      rate: int(mapping.core.mappingsPerSecond),
      rss: mb(mapping.maxRssKB),
      vsWall: '',
      vsCpu: '',
      notes,
    })
    rows.push({
      scenario: 'mapping: segamp compiled',
      messages: int(mapping.events),
      wall: fixed(mapping.segamp.seconds),
      cpu: fixed(mapping.segamp.cpuSeconds),
      rate: int(mapping.segamp.mappingsPerSecond),
      rss: mb(mapping.maxRssKB),
      vsWall: `${(mapping.segamp.wallMappingsPerSecond / mapping.core.wallMappingsPerSecond).toFixed(1)}× faster`,
      vsCpu: `${speedup.toFixed(1)}× faster`,
      notes: `${mapping.segamp.rounds} rounds (per wall s: ${int(mapping.segamp.wallMappingsPerSecond)}); same process; goal ≥ 10×`,
    })
    goals.push(
      `mapping: segamp compiled ${speedup.toFixed(1)}× actions-core transform by CPU time, ${(mapping.segamp.wallMappingsPerSecond / mapping.core.wallMappingsPerSecond).toFixed(1)}× by wall (goal ≥ 10×); ${mapping.mismatches} of ${mapping.sampleChecked} sampled outputs differ`,
    )
  } else row('mapping', MAP_EVENTS, mapping)
}

// ---------------------------------------------------------------- start-up
const startupLines = []
if (ONLY.has('startup')) {
  const tiny = ensureArchive({ messages: 20, seed: 7, days: 1, filesPerDay: 1 }, log)
  const runs = { help: [], dry: [] }
  for (let i = 0; i < REPEAT; i++) {
    runs.help.push(child('startup', { argv: ['replay', '--help'] }, { label: `start-up: replay --help #${i + 1}` }))
    cleanWork()
    runs.dry.push(
      child(
        'startup',
        { argv: ['replay', tiny.dir, '--dry-run', '--fresh', '--no-progress', '--json', '--state-dir', join(work, 'state-tiny')] },
        { label: `start-up: replay --dry-run of a 20-line archive #${i + 1}` },
      ),
    )
  }
  for (const [what, list, goal] of [
    ['replay --help', runs.help, ''],
    ['replay --dry-run, 20-line archive', runs.dry, ' (goal < 0.4 s; 0.7 s before lazy loading)'],
  ]) {
    const b = best(list)
    row(`start-up: ${what}`, 0, b, { rate: NaN, notes: `whole process, Node start-up included${runsNote(b)}` })
    startupLines.push(`${what}: ${fixed(b.cpuSeconds)} CPU s, ${fixed(b.wallSeconds)} s wall${goal}`)
  }
}

// ---------------------------------------------------------------- cost ladder
/** The ladder's results, kept for the parallel-overhead projection (its serial share). */
let ladder
const ladderLines = []
if (ONLY.has('ladder')) {
  // Rungs, each a child process over the same archive, interleaved BENCH_REPEAT times; "exact" =
  // the exact mapping path (SEGAMP_MAP=exact: resolve → removeEmptyValues → AJV → perform), the
  // reference the compiled path is compared with ("before"); the default is the compiled path.
  const exact = { SEGAMP_MAP: 'exact' }
  const rungs = [
    ['floor', 'floor (gunzip + JSON.parse + JSON.stringify)', () => child('floor', { files: small.files, stringify: true }, { label: 'ladder: floor' })],
    ['lines', 'reading (gunzip, split, decode lines)', () => child('ladder', { inputs: [small.dir], step: 'lines' }, { label: 'ladder: reading' })],
    ['route', 'reading + routing', () => child('ladder', { inputs: [small.dir], step: 'route' }, { label: 'ladder: + routing' })],
    ['mapExact', '+ mapping and validation, exact path', () => child('ladder', { inputs: [small.dir], step: 'map' }, { label: 'ladder: + mapping (exact)', env: exact })],
    ['map', '+ mapping and validation, compiled path', () => child('ladder', { inputs: [small.dir], step: 'map' }, { label: 'ladder: + mapping (compiled)' })],
    [
      'serialiseExact',
      '+ serialise, write --out (exact path)',
      () => child('ladder', { inputs: [small.dir], step: 'serialise', out: join(work, 'ladder.ndjson') }, { label: 'ladder: + serialise (exact)', env: exact }),
    ],
    [
      'serialise',
      '+ serialise, write --out (compiled path)',
      () => child('ladder', { inputs: [small.dir], step: 'serialise', out: join(work, 'ladder.ndjson') }, { label: 'ladder: + serialise (compiled)' }),
    ],
    ['cliExact', 'full CLI, --workers 1 (exact path)', () => cliDry(1, exact)],
    ['cli', 'full CLI, --workers 1 (compiled path)', () => cliDry(1)],
  ]
  const got = Object.fromEntries(rungs.map(([k]) => [k, []]))
  for (let i = 0; i < REPEAT; i++)
    for (const [k, , run] of rungs) {
      cleanWork()
      got[k].push(run())
    }
  ladder = Object.fromEntries(rungs.map(([k]) => [k, best(got[k])]))
  const floor = ladder.floor
  for (const [k, title] of rungs) {
    const r = ladder[k]
    row(`ladder: ${title}`, r.messages ?? r.summary?.messages ?? MESSAGES, r, {
      vsWall: k === 'floor' ? '' : ratio(r.wallSeconds, floor.wallSeconds),
      vsCpu: k === 'floor' ? '' : ratio(r.cpuSeconds, floor.cpuSeconds),
      notes: runsNote(r).replace(/^; /, ''),
    })
  }
  const rate = (r) => (r?.pairs ? `${r.fallbacks} of ${int(r.pairs)} (${((100 * r.fallbacks) / r.pairs).toFixed(2)} %)` : '-')
  const cliRuns = ladder.cli.summary?.subscriptions?.reduce((a, s) => a + s.messages, 0)
  ladderLines.push(
    `cost ladder (× floor by CPU, whole process; before = exact path, after = compiled path): reading ${ratio(ladder.lines.cpuSeconds, floor.cpuSeconds)}, + routing ${ratio(ladder.route.cpuSeconds, floor.cpuSeconds)}, + mapping & validation ${ratio(ladder.mapExact.cpuSeconds, floor.cpuSeconds)} → ${ratio(ladder.map.cpuSeconds, floor.cpuSeconds)}, + serialise & write --out ${ratio(ladder.serialiseExact.cpuSeconds, floor.cpuSeconds)} → ${ratio(ladder.serialise.cpuSeconds, floor.cpuSeconds)}, full CLI --workers 1 ${ratio(ladder.cliExact.cpuSeconds, floor.cpuSeconds)} → ${ratio(ladder.cli.cpuSeconds, floor.cpuSeconds)} (by wall: ${ratio(ladder.cliExact.wallSeconds, floor.wallSeconds)} → ${ratio(ladder.cli.wallSeconds, floor.wallSeconds)}; goal ≤ 2.5×)`,
  )
  ladderLines.push(
    `compiled path fallback rate on the bench corpus: ${rate(ladder.map)} matched (message, subscription) pairs in the map rung; the CLI's report: mappingFallbacks ${ladder.cli.summary?.mappingFallbacks ?? '-'} of ${int(cliRuns)}`,
  )
  // A shard's cost for the lines it does not own (issue #25): --shard 0/1000 owns ~0.1 % of them.
  const gz = []
  const sh = []
  for (let i = 0; i < REPEAT; i++) {
    gz.push(child('gunzip', { files: small.files }, { label: `shard cost: gunzip alone #${i + 1}` }))
    sh.push(
      child('ladder', { inputs: [small.dir], step: 'serialise', out: join(work, 'ladder.ndjson'), shard: '0/1000' }, { label: `shard cost: planner as --shard 0/1000 #${i + 1}` }),
    )
  }
  const least = (list) => Math.min(...list.filter((r) => !r.error).map((r) => r.loopCpuSeconds))
  const perLine = (cpu, list) => cpu / (list.find((r) => !r.error)?.messages ?? MESSAGES)
  const g = perLine(least(gz), gz)
  const k = perLine(least(sh), sh)
  ladderLines.push(
    `shard cost: CPU per line a shard does not own (--shard 0/1000: read, decode, byte scan; loop CPU, start-up excluded) ${fixed(k * 1e6, 2)} µs vs gunzip alone ${fixed(g * 1e6, 2)} µs: ${(k / g).toFixed(2)}× (goal ≤ 1.5×); ${int(sh[0]?.otherShard)} of ${int(sh[0]?.messages)} lines other-shard`,
  )
  ladderLines.push(
    `--out byte-identical between the exact and the compiled path: ${ladder.cli.outDigest && ladder.cli.outDigest === ladder.cliExact.outDigest ? 'yes' : `NO (${ladder.cliExact.outDigest} vs ${ladder.cli.outDigest})`}`,
  )
}

/** `replay --dry-run --out` over the bench archive with --workers w; the result carries the --out digest. */
function cliDry(w, env = {}) {
  const out = join(work, 'dry-run.ndjson')
  const r = child(
    'cli',
    { command: 'replay', argv: [small.dir, '--dry-run', '--out', out, '--fresh', '--no-progress', '--json', '--workers', String(w), '--state-dir', join(work, 'state-dry')] },
    { label: `ladder: replay --dry-run --out --workers ${w}${env.SEGAMP_MAP ? ' (exact path)' : ''}`, env },
  )
  if (existsSync(out)) r.outDigest = createHash('sha256').update(readFileSync(out)).digest('hex').slice(0, 16)
  rmSync(out, { force: true })
  return r
}

// ---------------------------------------------------------------- 3. dry run
/** CPU-seconds per planned record of the --workers 1 dry run (the live run is compared with it). */
let dryCpuPerRecord
/** Requests the --workers 1 dry run packed (the live run's count is compared with it). */
let dryRequests
if (ONLY.has('dryrun')) {
  // --workers 1 (one thread) and --workers 2, interleaved BENCH_REPEAT times with the floor; then
  // both again over an input 3× as large, for peak RSS (flat: ≤ 1.3× at 3× the input).
  const floors = []
  // The floor on 2 threads (the files dealt out between them): the machine's own ceiling for --workers 2.
  const floors2 = []
  const runs = { 1: [], 2: [] }
  const outs = {}
  for (let i = 0; i < REPEAT; i++) {
    floors.push(child('floor', { files: small.files, stringify: true }, { label: `dry run: floor (gunzip + parse + stringify) #${i + 1}` }))
    floors2.push(child('floor', { files: small.files, stringify: true, threads: 2 }, { label: `dry run: floor on 2 threads #${i + 1}` }))
    for (const w of [1, 2]) {
      cleanWork()
      const out = join(work, 'dry-run.ndjson')
      runs[w].push(
        child(
          'cli',
          { command: 'replay', argv: [small.dir, '--dry-run', '--out', out, '--fresh', '--no-progress', '--json', '--workers', String(w), '--state-dir', join(work, 'state-dry')] },
          { label: `dry run: segamp replay --dry-run --workers ${w} (${MESSAGES} messages) #${i + 1}` },
        ),
      )
      outs[w] = existsSync(out) ? statSync(out).size : undefined
      rmSync(out, { force: true })
    }
  }
  const floor = best(floors)
  const dry = { 1: best(runs[1]), 2: best(runs[2]) }
  // A dry run reports sent: 0 and what it would have sent as wouldSend.
  const wouldSend = (r) => r.summary?.wouldSend ?? r.summary?.sent
  if (wouldSend(dry[1])) dryCpuPerRecord = dry[1].cpuSeconds / wouldSend(dry[1])
  dryRequests = dry[1].summary?.requests
  row(`dry run: floor (parse+stringify)`, floor.messages, floor, { notes: `${(small.compressedBytes / 1048576).toFixed(1)} MB gz${runsNote(floor)}` })
  const floor2 = best(floors2)
  row(`dry run: floor on 2 threads`, floor2.messages, floor2, {
    notes: `${ratio(floor.wallSeconds, floor2.wallSeconds)} the throughput of the floor on 1 thread: the most 2 threads gain on this machine${runsNote(floor2)}`,
  })
  for (const w of [1, 2]) {
    row(`dry run: replay --dry-run --out --workers ${w}`, dry[w].summary?.messages ?? MESSAGES, dry[w], {
      vsWall: ratio(dry[w].wallSeconds, floor.wallSeconds),
      vsCpu: ratio(dry[w].cpuSeconds, floor.cpuSeconds),
      notes: `${int(wouldSend(dry[w]))} records, ${int(dry[w].summary?.requests)} requests, ${outs[w] ? (outs[w] / 1048576).toFixed(0) : '?'} MB out${w === 1 ? '; goal ≤ 2.5× the floor' : `; ${ratio(dry[1].wallSeconds, dry[w].wallSeconds)} the throughput of --workers 1 (goal ≥ 1.45×)`}${runsNote(dry[w])}`,
    })
  }
  goals.push(
    `dry run --workers 1: ${ratio(dry[1].wallSeconds, floor.wallSeconds)} of the floor by wall, ${ratio(dry[1].cpuSeconds, floor.cpuSeconds)} by CPU (goal ≤ 2.5×; the CLI child's CPU includes oclif/module loading, the floor's only Node startup)`,
  )
  goals.push(
    `dry run --workers 2: ${ratio(dry[1].wallSeconds, dry[2].wallSeconds)} the throughput of --workers 1 by wall (goal ≥ 1.45×); CPU ${fixed(dry[2].cpuSeconds)} s vs ${fixed(dry[1].cpuSeconds)} s; the floor itself gains ${ratio(floor.wallSeconds, floor2.wallSeconds)} on 2 threads here`,
  )
  goals.push(parallelOverhead(dry, outs))
  if (env('BENCH_RSS3X', 1) !== 0) {
    const big = ensureArchive({ messages: MESSAGES * 3, seed: 7, days: 3, filesPerDay: 2 }, log)
    const rss = {}
    const runs3 = {}
    for (const w of [1, 2]) {
      cleanWork()
      const out = join(work, 'dry-run.ndjson')
      const r = child(
        'cli',
        { command: 'replay', argv: [big.dir, '--dry-run', '--out', out, '--fresh', '--no-progress', '--json', '--workers', String(w), '--state-dir', join(work, 'state-dry')] },
        { label: `dry run: --workers ${w} over 3× the input (${MESSAGES * 3} messages)` },
      )
      rmSync(out, { force: true })
      rss[w] = r.maxRssKB
      runs3[w] = r
      row(`dry run: --workers ${w}, 3× the input`, r.summary?.messages ?? MESSAGES * 3, r, {
        notes: `peak RSS ${mb(r.maxRssKB)} MB vs ${mb(dry[w].maxRssKB)} MB at 1×: ${ratio(r.maxRssKB, dry[w].maxRssKB)} (goal ≤ 1.3×)`,
      })
    }
    goals.push(`peak RSS at 3× the input: --workers 1 ${ratio(rss[1], dry[1].maxRssKB)}, --workers 2 ${ratio(rss[2], dry[2].maxRssKB)} of the RSS at 1× (goal ≤ 1.3×)`)
    // The 1× run lasts ~3 s, so each thread's start-up and warm-up weigh on it; over 3× they are spread thinner.
    if (runs3[1] && runs3[2] && !runs3[1].error && !runs3[2].error)
      goals.push(
        `dry run over 3× the input (one run each): --workers 2 ${ratio(runs3[1].wallSeconds, runs3[2].wallSeconds)} the throughput of --workers 1 by wall (goal ≥ 1.45× at 1×); CPU ${fixed(runs3[2].cpuSeconds)} s vs ${fixed(runs3[1].cpuSeconds)} s (o = ${((runs3[2].cpuSeconds / runs3[1].cpuSeconds - 1) * 100).toFixed(1)} %)`,
      )
  }
}

/**
 * Parallel overhead and the projected speed-up (README, Benchmarks). Per message: c1 = CPU at
 * --workers 1, c2 = CPU at --workers 2, overhead o = c2 / c1 − 1. Serial share f: what the main
 * thread does for every message whatever the workers (reading: gunzip and splitting; the engine's
 * bookkeeping and writing --out = full CLI − the planner rung), from the cost ladder; without the
 * ladder, the Karp–Flatt estimate from the measured 2-worker wall speed-up. Amdahl with overhead:
 * S(p) = 1 / (f + (1 − f + o) / p).
 */
function parallelOverhead(dry, outs) {
  const msgs = dry[1].summary?.messages ?? MESSAGES
  const c1 = dry[1].cpuSeconds / msgs
  const c2 = dry[2].cpuSeconds / msgs
  const o = c2 / c1 - 1
  let f
  let how
  if (ladder && !ladder.cli.error) {
    f = (ladder.lines.cpuSeconds + ladder.cli.cpuSeconds - ladder.serialise.cpuSeconds) / ladder.cli.cpuSeconds
    how = 'serial share from the ladder: (reading + CLI − serialise rung) / CLI'
  } else {
    const s2 = dry[1].wallSeconds / dry[2].wallSeconds
    f = (1 / s2 - 1 / 2) / (1 - 1 / 2)
    how = 'serial share by Karp–Flatt from the 2-worker wall speed-up'
  }
  f = Math.min(1, Math.max(0, f))
  const S = (p) => 1 / (f + (1 - f + o) / p)
  const same = outs[1] !== undefined && outs[1] === outs[2] ? 'same --out size' : '--out sizes differ'
  return `parallel overhead: --workers 2 uses ${fixed((c2 - c1) * 1e6, 1)} µs more CPU per message than --workers 1 (${fixed(c1 * 1e6, 1)} → ${fixed(c2 * 1e6, 1)} µs, o = ${(o * 100).toFixed(1)} %; goal ≤ 15 %); f = ${(f * 100).toFixed(1)} % (${how}); projected speed-up S(p) = 1 / (f + (1 − f + o) / p): 4 cores ${S(4).toFixed(2)}×, 8 cores ${S(8).toFixed(2)}×, 16 cores ${S(16).toFixed(2)}× (${same})`
}

// ---------------------------------------------------------------- 4. sandbox
const sandboxArgs = () => [small.dir, '--sandbox', '--fresh', '--no-progress', '--json', '--state-dir', join(work, 'state-sandbox')]
if (ONLY.has('sandbox')) {
  cleanWork()
  const sb = child('cli', { command: 'replay', argv: sandboxArgs() }, { label: `sandbox: segamp replay --sandbox (${MESSAGES} messages)` })
  const sent = sb.summary?.sent
  row('sandbox: replay --sandbox', sb.summary?.messages ?? MESSAGES, sb, {
    notes: `${int(sent)} events sent = ${int(sent / sb.wallSeconds)} events/s; ${int(sb.summary?.requests)} requests, ${int(sb.summary?.throttles)} throttle pauses (${int((sb.summary?.throttledMs ?? 0) / 1000)} s summed), ${int(sb.summary?.deadLettered)} dead; RSS includes the sandbox`,
  })
  goals.push(
    `sandbox: ${int(sent / sb.wallSeconds)} events/s (${int(sent)} events in ${fixed(sb.wallSeconds)} s wall, ${fixed(sb.cpuSeconds)} s CPU, ${int(sb.summary?.throttles)} throttle pauses); peak RSS ${mb(sb.maxRssKB)} MB`,
  )
}

if (ONLY.has('sandbox') && SANDBOX_UNTHROTTLED) {
  const limits = { httpApiEps: 1e9, batchEps: 1e9, httpApiProjectEps: 1e9, batchProjectEps: 1e9 }
  for (const separate of [false, true]) {
    cleanWork()
    const sb = child(
      'sandbox',
      { inputs: [small.dir], stateDir: join(work, 'state-sandbox-free'), limits, separate },
      { label: `sandbox: library replay, per-id throttle lifted${separate ? ', sandbox in its own process' : ''}` },
    )
    const sent = sb.summary?.sent
    const server = sb.sandbox
    row(separate ? 'sandbox: same, sandbox in own process' : 'sandbox: same, per-id throttle off', sb.summary?.messages ?? MESSAGES, sb, {
      notes: separate
        ? `${int(sent / sb.wallSeconds)} events/s; RSS and CPU of the replay alone — the sandbox process: ${mb(server?.maxRssKB)} MB, ${fixed(server?.cpuSeconds)} s CPU`
        : `${int(sent)} events sent = ${int(sent / sb.wallSeconds)} events/s; ${int(sb.summary?.requests)} requests, ${int(sb.summary?.throttles)} throttles; replay() + startSandbox({limits}), in-process`,
    })
    if (separate && dryCpuPerRecord && sent)
      goals.push(
        `live replay (sandbox in its own process, throttle lifted): ${fixed((sb.cpuSeconds / sent) * 1e6, 1)} µs CPU per event vs ${fixed(dryCpuPerRecord * 1e6, 1)} µs for the --workers 1 dry run: ${ratio(sb.cpuSeconds / sent, dryCpuPerRecord)} (goal ≤ 1.3×); ${int(sb.summary?.requests)} requests where the dry run packs ${int(dryRequests)}: a device's next records wait for its request in flight, and the bench archive's 60 devices each alternate events and identifies (two endpoints), so a live request carries about ${int(sent / (sb.summary?.requests || 1))} records`,
      )
    goals.push(
      separate
        ? `sandbox in its own process (throttle lifted): replay ${int(sent / sb.wallSeconds)} events/s, ${fixed(sb.cpuSeconds)} s CPU, peak RSS ${mb(sb.maxRssKB)} MB (sandbox process ${mb(server?.maxRssKB)} MB, ${fixed(server?.cpuSeconds)} s CPU)`
        : `sandbox with Amplitude's per-user/device limit lifted (library call, in-process): ${int(sent / sb.wallSeconds)} events/s, ${fixed(sb.cpuSeconds)} s CPU; peak RSS ${mb(sb.maxRssKB)} MB`,
    )
  }
}

// ---------------------------------------------------------------- 5. diff
if (ONLY.has('diff')) {
  const diff = child('cli', { command: 'diff-mappings', argv: [small.dir, '--format', 'json', '--no-progress'] }, { label: `diff: segamp diff-mappings (${MESSAGES} messages)` })
  const t = diff.summary?.totals
  row('diff: diff-mappings --format json', MESSAGES, diff, {
    notes: `${int(t?.messages)} messages compared (kept by the filters); ${int(t?.classicEvents)} Classic vs ${int(t?.actionsEvents)} Actions records; ${diff.summary?.findings?.length ?? '-'} findings`,
  })
}

// ---------------------------------------------------------------- 6. against
if (ONLY.has('against')) {
  const scale = env('BENCH_AGAINST_SCALE', 10)
  const runs = {}
  for (const s of [1, scale]) {
    const archive = s === 1 ? small : ensureArchive({ messages: MESSAGES * s, seed: 7, days: 3, filesPerDay: 2 }, log)
    const exportDir = join(DATA, `export-m${MESSAGES * s}-s7`)
    if (!existsSync(join(exportDir, '.complete'))) {
      const built = child('make-export', { archive: archive.dir, out: exportDir, seed: 24 }, { label: `against: building the export of ${MESSAGES * s} messages` })
      if (built.error) continue
    }
    const r = child(
      'cli',
      { command: 'diff-mappings', argv: [archive.dir, '--against', exportDir, '--format', 'json', '--no-progress', '--work-dir', DATA] },
      { label: `against: diff-mappings --against (${MESSAGES * s} messages, ${s}×)` },
    )
    runs[s] = r
    const p = r.summary?.against?.pairing
    row(`against: diff-mappings --against, ${s}×`, r.summary?.totals?.messages ?? MESSAGES * s, r, {
      notes: `${int(r.summary?.against?.export?.events)} stored events; paired by insert id ${int(p?.byInsertId)}, by window ${int(p?.byWindow)}, ambiguous ${int(p?.ambiguous)}, unpaired ${int(p?.unpaired)}${s === 1 ? '' : `; peak RSS ${ratio(r.maxRssKB, runs[1]?.maxRssKB)} of 1× (goal ≤ 1.3×)`}`,
    })
  }
  if (runs[1] && runs[scale])
    goals.push(
      `against: peak RSS ${mb(runs[scale].maxRssKB)} MB at ${scale}× vs ${mb(runs[1].maxRssKB)} MB at 1×: ${ratio(runs[scale].maxRssKB, runs[1].maxRssKB)} (goal ≤ 1.3×); CPU ${fixed(runs[scale].cpuSeconds)} s vs ${fixed(runs[1].cpuSeconds)} s`,
    )
  // The issue's goal is on the large export: --workers 2 over it, against the --workers 1 run above (one run each).
  const bigExport = join(DATA, `export-m${MESSAGES * scale}-s7`)
  if (runs[scale] && !runs[scale].error && existsSync(join(bigExport, '.complete'))) {
    const archive = ensureArchive({ messages: MESSAGES * scale, seed: 7, days: 3, filesPerDay: 2 }, log)
    const argv = [archive.dir, '--against', bigExport, '--format', 'json', '--no-progress', '--work-dir', DATA, '--workers', '2']
    const w2 = child('cli', { command: 'diff-mappings', argv }, { label: `against: --workers 2 at ${scale}×` })
    row(`against: diff-mappings --against, ${scale}×, --workers 2`, w2.summary?.totals?.messages ?? MESSAGES * scale, w2, { notes: `peak RSS ${mb(w2.maxRssKB)} MB` })
    const same = w2.summary !== undefined && JSON.stringify(withoutTimings(w2.summary)) === JSON.stringify(withoutTimings(runs[scale].summary))
    goals.push(
      `against at ${scale}×: --workers 2 ${(runs[scale].wallSeconds / w2.wallSeconds).toFixed(2)}× the speed of --workers 1 by wall (goal ≥ 1.5×; ${fixed(w2.wallSeconds)} vs ${fixed(runs[scale].wallSeconds)} s, ${fixed(w2.cpuSeconds)} vs ${fixed(runs[scale].cpuSeconds)} CPU-s); reports identical: ${same ? 'yes' : 'NO'}`,
    )
  }
  // --workers 1 vs 2 on the 1× archive, interleaved: speed-up and whether the reports are identical.
  const exportDir = join(DATA, `export-m${MESSAGES}-s7`)
  if (existsSync(join(exportDir, '.complete'))) {
    const byWorkers = { 1: [], 2: [] }
    for (let i = 0; i < REPEAT; i++) {
      for (const w of [1, 2]) {
        const argv = [small.dir, '--against', exportDir, '--format', 'json', '--no-progress', '--work-dir', DATA, '--workers', String(w)]
        byWorkers[w].push(child('cli', { command: 'diff-mappings', argv }, { label: `against: --workers ${w} #${i + 1}` }))
      }
    }
    const best = (rs, k) => Math.min(...rs.map((r) => r[k] ?? Infinity))
    for (const w of [1, 2]) {
      const rs = byWorkers[w]
      row(
        `against: diff-mappings --against --workers ${w}`,
        rs[0]?.summary?.totals?.messages ?? MESSAGES,
        { ...rs[0], wallSeconds: best(rs, 'wallSeconds'), cpuSeconds: best(rs, 'cpuSeconds') },
        {
          notes: `runs wall ${rs.map((r) => fixed(r.wallSeconds, 1)).join('/')} s`,
        },
      )
    }
    const text = (r) => JSON.stringify(withoutTimings(r.summary))
    const identical = byWorkers[2].every((r) => r.summary !== undefined && text(r) === text(byWorkers[1][0]))
    const w1 = best(byWorkers[1], 'wallSeconds')
    const w2 = best(byWorkers[2], 'wallSeconds')
    goals.push(`against: --workers 2 ${(w1 / w2).toFixed(2)}× the speed of --workers 1 by wall (goal ≥ 1.5×); reports identical: ${identical ? 'yes' : 'NO'}`)
  }
}

/** A report without what differs between two runs of the same work (durations, timestamps). */
function withoutTimings(v) {
  if (Array.isArray(v)) return v.map(withoutTimings)
  if (v === null || typeof v !== 'object') return v
  const out = {}
  for (const [k, x] of Object.entries(v)) if (!/duration|elapsed|Ms$|seconds|generatedAt|startedAt|finishedAt/i.test(k)) out[k] = withoutTimings(x)
  return out
}

// ---------------------------------------------------------------- profiles
const profileTexts = []
if (ONLY.has('profile')) {
  const profiles = join(DATA, 'profiles')
  mkdirSync(profiles, { recursive: true })
  const argvFor = {
    sandbox: () => ({ command: 'replay', argv: sandboxArgs() }),
    dryrun: () => ({
      command: 'replay',
      argv: [small.dir, '--dry-run', '--out', join(work, 'dry-run.ndjson'), '--fresh', '--no-progress', '--json', '--state-dir', join(work, 'state-dry')],
    }),
    diff: () => ({ command: 'diff-mappings', argv: [small.dir, '--format', 'json', '--no-progress'] }),
    'sandbox-free': () => ({
      inputs: [small.dir],
      stateDir: join(work, 'state-sandbox-free'),
      limits: { httpApiEps: 1e9, batchEps: 1e9, httpApiProjectEps: 1e9, batchProjectEps: 1e9 },
      separate: true,
    }),
  }
  for (const name of PROFILE) {
    if (!argvFor[name]) {
      log(`BENCH_PROFILE: no scenario ${name} (sandbox, sandbox-free, dryrun, diff)`)
      continue
    }
    cleanWork()
    const dir = join(profiles, name)
    rmSync(dir, { recursive: true, force: true })
    const prof = child(name === 'sandbox-free' ? 'sandbox' : 'cli', argvFor[name](), {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      label: `profile: ${name} under --cpu-prof`,
    })
    const file = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(dir, f))[0]
      : undefined
    profileTexts.push(
      `Profile of ${name}: ${file ?? 'no profile written'} (wall ${fixed(prof.wallSeconds)} s, CPU ${fixed(prof.cpuSeconds)} s under the profiler)${file ? '\n' + formatProfile(summarizeProfile(file, 15)) : ''}`,
    )
  }
}
// ---------------------------------------------------------------- instructions
const instructionTexts = []
if (ONLY.has('instructions')) {
  const m = env('BENCH_INSTRUCTION_MESSAGES', 10000)
  const archiveOf = (messages) => ({ ...ensureArchive({ messages, seed: 7, days: 3, filesPerDay: 2 }, log), messages })
  cleanWork()
  instructionTexts.push(...instructionLines({ small: archiveOf(m), large: archiveOf(2 * m), messages: MESSAGES, dist: snap.dir, work, log }))
}
rmSync(work, { recursive: true, force: true })

// ---------------------------------------------------------------- kit
let kitText
if (ONLY.has('kit') && existsSync(join(ROOT, 'bench', 'mapping-kit.ts'))) {
  log('… bench/mapping-kit.ts')
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'mapping-kit.ts')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } })
  kitText = (r.stdout + (r.status !== 0 ? `\n(exit ${r.status ?? r.signal})\n${r.stderr.slice(-2000)}` : '')).trimEnd()
  // The FQL micro-benchmark: compiled triggers vs Segment's validate().
  const f = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'fql.bench.ts')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } })
  kitText += `\n\n${(f.stdout + (f.status !== 0 ? `\n(exit ${f.status ?? f.signal})\n${f.stderr.slice(-2000)}` : '')).trimEnd()}`
}

// ---------------------------------------------------------------- print
const head = {
  scenario: 'scenario',
  messages: 'messages',
  wall: 'wall s',
  cpu: 'CPU s',
  rate: 'msg/s',
  rss: 'peak RSS MB',
  vsWall: 'vs floor (wall)',
  vsCpu: 'vs floor (CPU)',
  notes: 'notes',
}
const cols = Object.keys(head)
const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => String(r[c]).length))]))
const right = new Set(['messages', 'wall', 'cpu', 'rate', 'rss', 'vsWall', 'vsCpu'])
const line = (r) =>
  cols
    .map((c) => (right.has(c) ? String(r[c]).padStart(width[c]) : String(r[c]).padEnd(width[c])))
    .join('  ')
    .trimEnd()
const out = []
out.push('')
out.push(
  `segamp bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB; library: ${snap.from === 'dist' ? 'dist/ (snapshot)' : 'src/ compiled by tsc (dist/ was incomplete)'}`,
)
out.push(
  `load average at start ${load0.map((l) => l.toFixed(1)).join(' ')}, at end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (wall times include whatever else runs; CPU s does not)`,
)
// Every Node process loads this bundle before it runs a line: start-up figures, the floor's too, include it.
if (process.env.NODE_EXTRA_CA_CERTS)
  out.push(
    `NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every process here, the floor's too, parses that CA bundle at start (about 50 ms of CPU and 0.42 G instructions on this machine, 2026-12-07)`,
  )
out.push('')
out.push(line(head))
out.push(cols.map((c) => '-'.repeat(width[c])).join('  '))
for (const r of rows) out.push(line(r))
out.push('')
out.push('msg/s = messages / wall s (mapping rows: mappings per CPU second of the timed loop). wall s = the work inside the child;')
out.push('CPU s = user+system CPU of the whole child process, startup and module loading included (mapping rows: of the timed loop).')
if (REPEAT > 1 && ONLY.has('read')) out.push(`read rows: ${REPEAT} interleaved runs each; least wall and least CPU (taken separately), largest peak RSS.`)
for (const [title, lines] of [
  ['Start-up (CPU = user+system of the whole process)', startupLines],
  ['Cost ladder and the compiled path (CPU = user+system)', ladderLines],
  ['Instruction counts (BENCH_ONLY=instructions)', instructionTexts],
]) {
  if (!lines.length) continue
  out.push('', title)
  for (const l of lines) out.push(`  - ${l}`)
}
if (goals.length) {
  out.push('')
  out.push('Goals')
  for (const g of goals) out.push(`  - ${g}`)
}
if (mapping && !mapping.error && mapping.perPreset?.length) {
  out.push('')
  out.push('Mapping by preset (mappings/s)')
  for (const p of mapping.perPreset) {
    if (!p.pairs) continue
    out.push(
      `  ${p.name.padEnd(24)} ${int(p.pairs).padStart(7)} pairs  actions-core ${int(p.coreMappingsPerSecond).padStart(8)}  segamp ${int(p.segampMappingsPerSecond).padStart(9)}  ${(p.segampMappingsPerSecond / p.coreMappingsPerSecond).toFixed(1)}×`,
    )
  }
}
for (const t of profileTexts) out.push('', t)
if (kitText) out.push('', 'bench/mapping-kit.ts', kitText)
const failed = results.filter((r) => r.result.error)
if (failed.length) {
  out.push('', 'Failed scenarios')
  for (const f of failed) out.push(`  ${f.scenario}: ${f.result.error}`)
}
out.push('', `total ${((Date.now() - started) / 1000).toFixed(0)} s`)
console.log(out.join('\n'))
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows, goals, results }, null, 2))
