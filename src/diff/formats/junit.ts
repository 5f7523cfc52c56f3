/**
 * `--format junit`: the diff report as JUnit XML (junit-report-builder), which GitLab, Jenkins,
 * CircleCI and Buildkite render. One test suite per finding kind, one test case per finding
 * (kind + event name), failing for the --fail-on kinds, with the examples in the failure text.
 * Pure: items in, XML out.
 */
import junitModule, { type Builder } from 'junit-report-builder'
import type { CheckItem } from './items.js'
import { KIND_DESCRIPTIONS } from './items.js'
import { unreadableHeadline, unreadableLine, type UnreadableInput } from './unreadable.js'

// XML 1.0 cannot carry these at all, escaped or not; names are attacker-controlled.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Text safe in XML (attributes and CDATA): impossible characters as `\uXXXX`, `]]>` broken up. */
export function xmlSafe(s: string): string {
  return s.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/]]>/g, ']]\\u003e')
}

// The package is CommonJS whose module.exports is the builder; typings describe an ES default.
const moduleValue = junitModule as unknown as Builder & { default?: Builder }
const builderRoot: Builder = typeof moduleValue.newBuilder === 'function' ? moduleValue : moduleValue.default!

export function renderJunit(items: readonly CheckItem[], opts: { command: string; file?: string; unreadable?: readonly UnreadableInput[] }): string {
  const builder = builderRoot.newBuilder().name(`segamp ${opts.command}`)
  // An input not read to the end is an error of the run (exit 2), not a finding: one errored case per file.
  if (opts.unreadable?.length) {
    const suite = builder.testSuite().name(`segamp ${opts.command}: input`)
    suite.property('description', unreadableHeadline(opts.unreadable))
    for (const f of opts.unreadable)
      suite
        .testCase()
        .className('segamp.input')
        .name(xmlSafe(f.file))
        .error(xmlSafe(unreadableLine(f)), 'unreadable')
  }
  const kinds: string[] = []
  for (const i of items) if (!kinds.includes(i.kind)) kinds.push(i.kind)
  for (const kind of kinds) {
    const suite = builder.testSuite().name(`segamp ${opts.command}: ${kind}`)
    suite.property('description', KIND_DESCRIPTIONS[kind] ?? kind)
    for (const item of items.filter((i) => i.kind === kind)) {
      const tc = suite
        .testCase()
        .className(`segamp.${kind}`)
        .name(xmlSafe(item.label === '' ? '(empty name)' : item.label))
      const file = item.location?.file ?? opts.file
      if (file !== undefined) tc.file(xmlSafe(file))
      const text = [item.message, ...(item.location ? [`at ${item.location.file}:${item.location.line}`] : []), '', ...item.examples.flatMap((e) => [e, ''])].join('\n')
      if (item.failing) tc.failure(xmlSafe(item.message), kind).stacktrace(xmlSafe(text))
      else tc.standardOutput(xmlSafe(text))
    }
  }
  return builder.build()
}
