/**
 * The boundaries of src/ (README "Architecture"), checked by `npm run lint` (depcruise src).
 * A rule broken here fails CI; each rule says why it exists.
 */
const STAGES = ['source', 'decode', 'route', 'map', 'deliver', 'commit']

/** One rule per stage: from outside src/pipeline/<stage>/, only its index.ts is imported. */
const throughIndex = STAGES.map((stage) => ({
  name: `through-index-${stage}`,
  severity: 'error',
  comment: `src/pipeline/${stage}/ is used through its index.ts: what it exports there is its interface, the rest may change.`,
  from: { path: '^src/', pathNot: `^src/pipeline/${stage}/` },
  // A dynamic import() may reach a lazily loaded part (source/s3/: the AWS SDK loads only when needed).
  to: { path: `^src/pipeline/${stage}/`, pathNot: `^src/pipeline/${stage}/index\\.ts$`, dependencyTypesNot: ['dynamic-import'] },
}))

/** One rule per stage: it takes only types from the stages after it (the pipeline composes them; a stage does not call the next). */
const inOrder = STAGES.slice(0, -1).map((stage, i) => ({
  name: `stage-order-${stage}`,
  severity: 'error',
  comment: `src/pipeline/${stage}/ comes before ${STAGES.slice(i + 1).join(', ')}: it may use their types, not their code.`,
  from: { path: `^src/pipeline/${stage}/` },
  to: { path: `^src/pipeline/(${STAGES.slice(i + 1).join('|')})/`, dependencyTypesNot: ['type-only'] },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes load order matter and the layers meaningless (a cycle through type-only imports is erased at compile time).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'services-not-cli',
      severity: 'error',
      comment: "segamp's services (replay, diff, migrate, inspect, export) are called by commands and never call back: the command line is the outermost layer.",
      from: { path: '^src/(replay|diff|migrate|inspect|export)/' },
      to: { path: '^src/(commands|cli)/' },
    },
    {
      name: 'services-read-through-pipeline',
      severity: 'error',
      comment: "replay is one service among others: what every command shares to read an archive (the pipeline, one line's plan, the worker pool) is src/pipeline/, not replay's.",
      from: { path: '^src/(diff|migrate|inspect|export)/' },
      to: { path: '^src/replay/' },
    },
    {
      name: 'stages-not-cli',
      severity: 'error',
      comment: 'The pipeline and what Segment and Amplitude define know nothing of the command line: they are used by commands, never the other way.',
      from: { path: '^src/(pipeline|segment|amplitude)/' },
      to: { path: '^src/(commands|cli)/' },
    },
    {
      name: 'amplitude-defines-alone',
      severity: 'error',
      comment:
        "What Amplitude defines (its API formats and rules, and the sandbox that plays Amplitude) knows nothing of Segment or of segamp's pipeline and services: it is what they are checked against.",
      from: { path: '^src/amplitude/' },
      to: { path: '^src/(segment|pipeline|replay|diff|migrate|inspect|export)/' },
    },
    {
      name: 'segment-defines-alone',
      severity: 'error',
      comment:
        "What Segment defines (mapping-kit, FQL, the Actions and Classic destinations, the Public API) knows nothing of segamp's pipeline and services, and its Amplitude destination knows Amplitude's rules, never the sandbox: services run it, it never calls them.",
      from: { path: '^src/segment/' },
      to: { path: '^src/(pipeline|replay|diff|migrate|inspect|export|amplitude/sandbox)/' },
    },
    {
      name: 'shared-files-stand-alone',
      severity: 'error',
      comment: "The files beside src/index.ts (errors, text, secrets, time, types, …) are what the folders share: they import only one another, never a folder's code.",
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    ...throughIndex,
    ...inOrder,
    {
      name: 'deliver-types-only',
      severity: 'error',
      comment:
        'Delivery takes only types from elsewhere in src/ (and the error model, src/errors.ts, and the secret registry, src/secrets.ts: both import nothing): everything it uses is injected.',
      from: { path: '^src/pipeline/deliver/' },
      to: { path: '^src/', pathNot: '^src/(pipeline/deliver/|errors\\.ts$|secrets\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'commit-not-upstream',
      severity: 'error',
      comment: 'commit/ records outcomes; it does not read, decode, route or map lines, nor know Segment.',
      from: { path: '^src/pipeline/commit/' },
      to: { path: '^src/(pipeline/(decode|route|map|source)|segment)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
