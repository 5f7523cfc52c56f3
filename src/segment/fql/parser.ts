/**
 * Parser with the exact behavior of `parseFql` from `@segment/destination-subscriptions`
 * (a flat token loop, not a grammar), producing the same AST shapes, plus
 * diagnostics: where Segment rejects a trigger (with a position) and where it
 * silently changes what the trigger appears to say (warnings).
 * Written from a reading of the behavior, not copied.
 */
import { SEGMENT_TYPES } from '../../types.js'
import { lex, normalize, type Token } from './lexer.js'

export type FieldType = 'event-type' | 'event' | 'name' | 'userId' | 'event-property' | 'event-trait' | 'event-context'

export interface ConditionNode {
  type: FieldType
  name?: string
  operator: string
  value?: string | number | boolean
}

export interface GroupNode {
  type: 'group'
  operator: string
  /** `undefined` children come from empty parentheses `()` (evaluating them crashes Segment). */
  children: Array<AstNode | undefined>
}

export type AstNode = ConditionNode | GroupNode

export interface ParseFailure {
  /** Human-readable reason with position and what to do. */
  reason: string
  /** The message Segment reports (`Invalid subscription : <message>`). */
  segmentMessage: string
  /** 0-based offset. */
  pos: number
}

export interface ParseOutcome {
  ast?: GroupNode
  error?: ParseFailure
  warnings: string[]
}

const FIELDS: Record<string, FieldType> = {
  type: 'event-type',
  event: 'event',
  name: 'name',
  userId: 'userId',
  context: 'event-context',
  properties: 'event-property',
  traits: 'event-trait',
}
const PREFIX: Partial<Record<FieldType, string>> = {
  'event-property': 'properties',
  'event-trait': 'traits',
  'event-context': 'context',
}
const FIELD_LIST = 'type, event, name, userId, properties.<path>, traits.<path>, context.<path>'
const UNDEF_TYPE = "Cannot read properties of undefined (reading 'type')"
/** Operators `validate` knows; any other operator string never matches. */
export const KNOWN_OPERATORS = new Set([
  '=',
  '!=',
  'number_equals',
  'number_not_equals',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'not_contains',
  'starts_with',
  'not_starts_with',
  'ends_with',
  'not_ends_with',
  'exists',
  'not_exists',
  'is_true',
  'is_false',
])

class Reject extends Error {
  constructor(
    readonly segmentMessage: string,
    readonly reason: string,
    readonly pos: number,
  ) {
    super(reason)
  }
}

const at = (pos: number): string => `character ${pos + 1}`

function tokenValue(t: Token): string | number | boolean {
  if (t.type === 'string') return t.value[0] === '"' ? t.value.slice(1, -1) : t.value
  if (t.type === 'number') return Number(t.value)
  if (t.type === 'ident' && (t.value === 'true' || t.value === 'false')) return t.value === 'true'
  return String(t.value)
}

const isFunctionToken = (t: Token): boolean => t.type === 'ident' && (t.value === 'contains' || t.value === 'match')

/** Split a property path the way Segment's `get` does; null means evaluation throws. */
export function pathKeys(name: string): string[] | null | undefined {
  if (!name) return undefined
  return name.match(/[^[.\]]+/g)
}

class Parser {
  readonly used = new Set<Token>()
  /** Notes about conditions Segment drops (used when nothing is left). */
  readonly dropped: string[] = []
  readonly warnings: Array<{ pos: number; text: string }> = []
  constructor(readonly src: string) {}

  warn(pos: number, text: string): void {
    this.warnings.push({ pos, text })
  }

  snippet(from: Token, to: Token | undefined): string {
    const end = to && to.pos >= 0 ? to.end : from.end
    return this.src.slice(from.pos, Math.max(end, from.end)).replace(/\s+/g, ' ')
  }

  describeToken(t: Token): string {
    return t.type === 'eos' ? 'the end of the trigger' : `\`${t.value}\``
  }

  parseLevel(q: Token[], open: Token | undefined): AstNode | undefined {
    const nodes: Array<AstNode | undefined> = []
    let operator = 'and'
    const conjunctions: Token[] = []
    let k = 0
    /** Consumes a token on behalf of a condition/function (it is "used"). */
    const shift = (): Token | undefined => {
      const t = q[k++]
      if (t) this.used.add(t)
      return t
    }
    let tok: Token | undefined = q[k++]
    while (tok && tok.type !== 'eos') {
      if (tok.type === 'ident') {
        const head = tok.value.split('.')[0]
        if (Object.prototype.hasOwnProperty.call(FIELDS, head)) {
          this.used.add(tok)
          nodes.push(this.condition(tok, FIELDS[head], shift))
        } else if (head in Object.prototype) {
          this.used.add(tok)
          const op = shift()
          if (!op) throw new Reject('Operator token is missing', `\`${tok.value}\` at ${at(tok.pos)} has no operator`, tok.pos)
          const val = shift()
          if (!val) throw new Reject('Value token is missing', `\`${tok.value}\` at ${at(tok.pos)} has no value after its operator`, tok.pos)
          this.warn(
            tok.pos,
            `\`${this.snippet(tok, val)}\` at ${at(tok.pos)}: \`${head}\` is not a field Segment supports (${FIELD_LIST}); Segment drops this condition and evaluates the trigger without it`,
          )
        }
        if (isFunctionToken(tok)) {
          this.used.add(tok)
          this.fn(tok, false, shift, open, nodes)
        }
      }
      if (tok.type === 'operator' && tok.value === '!') {
        const next = q[k]
        if (!next) throw new Reject(UNDEF_TYPE, `\`!\` at ${at(tok.pos)} is not followed by anything`, tok.pos)
        if (isFunctionToken(next)) {
          this.used.add(tok)
          shift()
          this.fn(next, true, shift, open, nodes, tok)
        }
      }
      if (tok.type === 'parenleft') {
        this.used.add(tok)
        const before = q[k - 2]
        const group: Token[] = []
        let g = q[k++]
        while (!g || g.type !== 'parenright') {
          if (!g) {
            if (open) {
              throw new Reject(
                UNDEF_TYPE,
                `\`(\` at ${at(tok.pos)} opens a second level of parentheses inside the group opened at ${at(open.pos)}; Segment supports only one level (a group ends at the first \`)\`) — flatten the expression`,
                tok.pos,
              )
            }
            throw new Reject(UNDEF_TYPE, `\`(\` at ${at(tok.pos)} is never closed; add the matching \`)\``, tok.pos)
          }
          group.push(g)
          g = q[k++]
        }
        this.used.add(g)
        group.push({ type: 'eos', value: 'eos', pos: -1, end: -1 })
        const fnLike = before && before.type === 'ident' && before.end === tok.pos && !this.used.has(before) ? before : undefined
        let child: AstNode | undefined
        try {
          child = this.parseLevel(group, tok)
        } catch (e) {
          if (e instanceof Reject && fnLike) {
            throw new Reject(
              e.segmentMessage,
              `\`${fnLike.value}(\` at ${at(fnLike.pos)}: Segment has no function \`${fnLike.value}\` (only contains and match); it ignores the name and reads the parentheses as a group, which fails: ${e.reason}`,
              fnLike.pos,
            )
          }
          throw e
        }
        if (child === undefined) {
          this.warn(
            tok.pos,
            `\`${this.snippet(tok, g)}\` at ${at(tok.pos)}: these parentheses contain no condition Segment understands; Segment keeps an empty entry that makes every evaluation reaching it fail with an error`,
          )
        }
        nodes.push(child)
      }
      if (tok.type === 'conditional') {
        this.used.add(tok)
        operator = tok.value
        conjunctions.push(tok)
      }
      tok = q[k++]
    }
    const distinct = new Set(conjunctions.map((c) => c.value))
    if (distinct.size > 1 && nodes.length > 1) {
      const where = open ? `inside the parentheses at ${at(open.pos)}` : 'at the top level'
      const first = conjunctions[0]
      const other = conjunctions.find((c) => c.value !== first.value) as Token
      this.warn(
        first.pos,
        `\`${first.value}\` at ${at(first.pos)} and \`${other.value}\` at ${at(other.pos)} are mixed ${where}; Segment has no precedence and combines all ${nodes.length} conditions of this level with the last conjunction, \`${operator}\` (${operator === 'or' ? 'any one of them' : 'all of them'} must match); use one level of parentheses to group`,
      )
    }
    if (nodes.length > 1) return { type: 'group', operator, children: nodes }
    return nodes[0]
  }

  condition(field: Token, type: FieldType, shift: () => Token | undefined): ConditionNode {
    const op = shift()
    if (!op) {
      throw new Reject('Operator token is missing', `\`${field.value}\` at ${at(field.pos)} has no operator; write e.g. \`${field.value} = "value"\``, field.pos)
    }
    const val = shift()
    if (!val) {
      throw new Reject(
        'Value token is missing',
        `\`${field.value}\` at ${at(field.pos)} has no ${op.type === 'eos' ? 'operator and value' : 'value'}; write e.g. \`${field.value} = "value"\``,
        field.pos,
      )
    }
    const o = op.value
    const v = val.value
    const isTrue = o === '=' && v === 'true'
    const isFalse = o === '=' && v === 'false'
    const isExists = o === '!=' && v === 'null'
    const isNotExists = o === '=' && v === 'null'
    const isNumEq = o === '=' && val.type === 'number'
    const isNumNe = o === '!=' && val.type === 'number'
    let node: ConditionNode
    if (type === 'event-type' || type === 'event') {
      node = { type, operator: o, value: String(tokenValue(val)) }
    } else if (type === 'name' || type === 'userId') {
      if (isExists) node = { type, operator: 'exists' }
      else if (isNotExists) node = { type, operator: 'not_exists' }
      else if (type === 'userId' && isTrue) node = { type, operator: 'is_true' }
      else if (type === 'userId' && isFalse) node = { type, operator: 'is_false' }
      else node = { type, operator: o, value: String(tokenValue(val)) }
    } else {
      const prefix = PREFIX[type] as string
      const name = field.value.startsWith(prefix + '.') ? field.value.slice(prefix.length + 1) : field.value
      if (isExists) node = { type, name, operator: 'exists' }
      else if (isNotExists) node = { type, name, operator: 'not_exists' }
      else if (isTrue) node = { type, name, operator: 'is_true' }
      else if (isFalse) node = { type, name, operator: 'is_false' }
      else if (isNumEq) node = { type, name, operator: 'number_equals', value: tokenValue(val) }
      else if (isNumNe) node = { type, name, operator: 'number_not_equals', value: tokenValue(val) }
      else node = { type, name, operator: o, value: tokenValue(val) }
    }
    this.checkCondition(node, field, op, val)
    return node
  }

  checkCondition(node: ConditionNode, field: Token, op: Token, val: Token): void {
    const text = this.snippet(field, val)
    const w = (msg: string): void => this.warn(field.pos, `\`${text}\` at ${at(field.pos)}: ${msg}`)
    const f = field.value
    if (op.type !== 'operator' && op.type !== 'ident') {
      w(`${this.describeToken(op)} is not a comparison operator; Segment uses it as the operator, so this condition never matches`)
    } else if (!KNOWN_OPERATORS.has(node.operator)) {
      w(`\`${op.value}\` is not an operator Segment's evaluator knows, so this condition never matches`)
    }
    const isFieldType = node.type === 'event-type' || node.type === 'event' || node.type === 'name' || node.type === 'userId'
    if (!isFieldType) this.checkPath(node, field, w)
    if (node.value === undefined) return // exists / not_exists / is_true / is_false
    const plainValue = val.type === 'string' || val.type === 'number' || val.type === 'null' || (val.type === 'ident' && (val.value === 'true' || val.value === 'false'))
    if (!plainValue) {
      const spaced = (op.value === '<' || op.value === '>') && val.value === '=' ? ` (write \`${op.value}=\` followed by a space)` : ''
      w(
        `the value is ${this.describeToken(val)}, not a quoted string, number, true, false or null; Segment compares with the string ${JSON.stringify(String(tokenValue(val)))}${spaced}`,
      )
      return
    }
    this.checkStringToken(val, w)
    const v = node.value
    const shown = val.type === 'string' ? val.value : `\`${val.value}\``
    const numericOp = node.operator === '<' || node.operator === '<=' || node.operator === '>' || node.operator === '>='
    if (isFieldType) {
      if (node.operator === '=' || node.operator === '!=') {
        if (val.type === 'null') {
          w(
            `Segment does not treat \`null\` as "missing" for \`${f}\`: it compares with the string "null", so this ${node.operator === '=' ? 'matches only the literal string "null"' : 'matches every event whose value is not the string "null" (missing included)'}`,
          )
        } else if (val.type === 'number') {
          w(`Segment compares with the string ${JSON.stringify(v)}; a numeric ${f} ${node.operator === '=' ? 'never matches' : 'always counts as different'}`)
        } else if (val.type === 'ident') {
          w(`Segment compares with the string "${val.value}", not a boolean`)
        } else if (node.type === 'event-type' && val.value[0] === '"' && !(SEGMENT_TYPES as readonly string[]).includes(String(v))) {
          w(
            `${JSON.stringify(v)} is not a Segment event type (${SEGMENT_TYPES.join(', ')}) and the comparison is case-sensitive, so this ${node.operator === '=' ? 'never matches' : 'matches every event'}`,
          )
        }
        return
      }
    } else if ((node.operator === '=' || node.operator === '!=') && typeof v === 'string' && val.type === 'string') {
      if (v.trim() !== '' && !Number.isNaN(Number(v))) {
        w(
          `Segment compares strictly as the string ${JSON.stringify(v)}: the number ${Number(v)} ${node.operator === '=' ? 'does not match' : 'counts as different'}; write ${f} ${node.operator} ${Number(v)} to compare numbers`,
        )
      } else if (v === 'true' || v === 'false') {
        w(
          `Segment compares strictly as the string "${v}": the boolean ${v} ${node.operator === '=' ? `does not match; write ${f} = ${v} to test the boolean` : 'counts as different'}`,
        )
      }
      return
    }
    if (numericOp || node.operator === 'number_equals' || node.operator === 'number_not_equals') {
      if (Number.isNaN(Number(v))) {
        w(
          node.operator === 'number_not_equals'
            ? `the value ${shown} is not a number, so Segment's \`!=\` matches every numeric ${f} (and nothing else)`
            : `the value ${shown} is not a number, so this condition never matches`,
        )
      } else if (isFieldType) {
        w(`Segment's \`${node.operator}\` only matches when \`${f}\` is a number; string values never match`)
      } else if (node.operator === 'number_not_equals') {
        w(`Segment's numeric \`!=\` only matches when ${f} is a number other than ${Number(v)}; events where it is missing, null or a string do not match`)
      }
    }
  }

  checkStringToken(val: Token, w: (msg: string) => void): void {
    if (val.type !== 'string') return
    if (val.value[0] === "'") {
      w(`single quotes are part of the value: Segment compares with ${val.value} including the quotes; use double quotes`)
    }
    if (val.value.includes('\\')) {
      w('strings have no escape sequences: Segment keeps the `\\` literally (and a `\\"` ends the string)')
    }
  }

  checkPath(node: ConditionNode, field: Token, w: (msg: string) => void): void {
    const prefix = PREFIX[node.type] as string
    const name = node.name as string
    const keys = pathKeys(name)
    if (!field.value.startsWith(prefix + '.')) {
      w(`\`${field.value}\` has no \`${prefix}.\` path; Segment looks up ${prefix}[${JSON.stringify(name)}] instead`)
    } else if (keys === undefined) {
      w(`the field path is empty, so Segment always sees the value as missing`)
    } else if (keys === null) {
      w(`the path ${JSON.stringify(name)} has no key Segment can read; evaluating this condition throws in Segment, so every event reaching it fails with an error`)
    }
  }

  fn(nameTok: Token, negate: boolean, shift: () => Token | undefined, open: Token | undefined, nodes: Array<AstNode | undefined>, bang?: Token): void {
    const name = nameTok.value
    const openTok = shift()
    const field = shift()
    if (!field) throw new Reject(`${name}() is missing a 1st argument`, `${name}() at ${at(nameTok.pos)} is missing its 1st argument; write ${name}(<field>, "value")`, nameTok.pos)
    const comma = shift()
    const val = shift()
    if (!val)
      throw new Reject(
        `${name}() is missing a 2nd argument`,
        `${name}() at ${at(nameTok.pos)} is missing its 2nd argument; write ${name}(${field.type === 'ident' ? field.value : '<field>'}, "value")`,
        nameTok.pos,
      )
    const close = shift()
    const start = bang ?? nameTok
    const text = this.snippet(start, close && close.pos >= 0 ? close : val)
    const w = (msg: string): void => this.warn(start.pos, `\`${text}\` at ${at(start.pos)}: ${msg}`)
    if (openTok?.type !== 'parenleft' || comma?.type !== 'comma' || !close || (close.type !== 'parenright' && !(close.type === 'eos' && close.pos < 0))) {
      w(
        `Segment reads ${name}() arguments by position as \`(\`, field, \`,\`, value, \`)\`; here it took ${this.describeToken(field)} as the field and ${this.describeToken(val)} as the value`,
      )
    }
    if (close && close.type === 'eos' && close.pos < 0 && open) {
      w(`the \`)\` closing ${name}() also closes the parentheses opened at ${at(open.pos)} (Segment ends a group at its first \`)\`); the rest is evaluated outside the group`)
    }
    let operator: string
    let value: string
    if (name === 'contains') {
      operator = negate ? 'not_contains' : 'contains'
      value = String(tokenValue(val))
    } else if (val.value.endsWith('*"')) {
      operator = negate ? 'not_starts_with' : 'starts_with'
      value = String(tokenValue(val)).slice(0, -1)
    } else {
      operator = negate ? 'not_ends_with' : 'ends_with'
      value = String(tokenValue(val)).slice(1)
    }
    const f = field.value
    let node: ConditionNode | undefined
    if (f === 'event' || f === 'name' || f === 'userId') node = { type: f, operator, value }
    else if (f.startsWith('properties')) node = { type: 'event-property', name: f.replace(/^properties\./, ''), operator, value }
    else if (f.startsWith('traits')) node = { type: 'event-trait', name: f.replace(/^traits\./, ''), operator, value }
    else if (f.startsWith('context')) node = { type: 'event-context', name: f.replace(/^context\./, ''), operator, value }
    if (!node) {
      const why = `Segment's ${name}() supports only event, name, userId, properties.<path>, traits.<path> and context.<path> as its field, not ${this.describeToken(field)}`
      this.dropped.push(`${name}(${field.value}, …) at ${at(start.pos)}: ${why}`)
      w(`${why}; Segment drops this condition`)
      return
    }
    if (negate) {
      w(`Segment's negated ${name}() only matches when ${f} is a string; events where it is missing, null or not a string do not match`)
    }
    this.checkStringToken(val, w)
    if (val.type !== 'string') {
      w(`the value is ${this.describeToken(val)}, not a quoted string; Segment uses ${JSON.stringify(String(tokenValue(val)))}`)
    }
    if (name === 'match') {
      const raw = String(tokenValue(val))
      const starts = operator.includes('starts_with')
      const verb = `${negate ? 'does not ' : ''}${starts ? 'start' : 'end'}${negate ? '' : 's'} with`
      const ok = starts ? !value.includes('*') : raw.startsWith('*') && !value.includes('*')
      if (!ok) {
        w(
          `match() supports only one leading or trailing \`*\`; Segment checks that ${f} ${verb} ${JSON.stringify(value)} (taken literally${!starts && !raw.startsWith('*') ? ', first character dropped' : ''})`,
        )
      }
    }
    if (node.type !== 'event' && node.type !== 'name' && node.type !== 'userId') this.checkPath(node, field, w)
    nodes.push(node)
  }
}

/** Parse like `parseFql`, plus diagnostics. Never throws. */
export function parseTrigger(fql: string): ParseOutcome {
  const lexed = lex(fql)
  if (lexed.error) {
    const e = lexed.error
    return {
      error: {
        reason: `${e.message} at ${at(e.pos)}${contextOf(fql, e.pos)}; ${e.hint}`,
        segmentMessage: UNDEF_TYPE,
        pos: e.pos,
      },
      warnings: [],
    }
  }
  const tokens = normalize(lexed.tokens)
  const p = new Parser(fql)
  let root: AstNode | undefined
  try {
    root = p.parseLevel(tokens, undefined)
  } catch (e) {
    if (e instanceof Reject) return { error: { reason: e.reason, segmentMessage: e.segmentMessage, pos: e.pos }, warnings: [] }
    throw e
  }
  if (root === undefined) {
    const unknownToks = tokens.filter((t) => t.type === 'ident' && !p.used.has(t))
    const unknown = unknownToks.map((t) => `\`${t.value}\` at ${at(t.pos)}`)
    const firstTok = tokens.find((t) => t.type !== 'eos')
    const reason =
      fql.trim() === ''
        ? 'the trigger is empty; write a condition such as `type = "track"`'
        : `Segment found no condition it understands${unknown.length ? ` (${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported)` : ''}${p.dropped.length ? ` (${p.dropped.join('; ')})` : ''}${!unknown.length && !p.dropped.length && firstTok ? ` in the trigger starting at ${at(firstTok.pos)}` : ''}; conditions look like \`<field> <op> <value>\` with field one of ${FIELD_LIST}, or contains(<field>, "v") / match(<field>, "v*")`
    const pos = unknownToks.length ? unknownToks[0].pos : firstTok ? firstTok.pos : 0
    return { error: { reason, segmentMessage: UNDEF_TYPE, pos }, warnings: [] }
  }
  const ast: GroupNode = root.type === 'group' ? root : { type: 'group', operator: 'and', children: [root] }
  for (const t of lexed.truncations) {
    p.warn(t.pos, `\`${t.source}\` at ${at(t.pos)}: Segment's lexer reads the end of the trigger as \`${t.readAs}\` (it drops the rest of a word starting like and/or/null)`)
  }
  addIgnoredTokenWarnings(p, tokens, lexed.reusedQuotes)
  const warnings = p.warnings.sort((a, b) => a.pos - b.pos).map((x) => x.text)
  return { ast, warnings }
}

function contextOf(src: string, pos: number): string {
  const from = Math.max(0, pos - 15)
  const to = Math.min(src.length, pos + 15)
  return ` (near \`${(from > 0 ? '…' : '') + src.slice(from, to).replace(/\s/g, ' ') + (to < src.length ? '…' : '')}\`)`
}

function addIgnoredTokenWarnings(p: Parser, tokens: Token[], reusedQuotes: Map<number, number>): void {
  let i = 0
  while (i < tokens.length) {
    const t = tokens[i]
    if (p.used.has(t) || t.type === 'eos') {
      i++
      continue
    }
    let j = i
    while (j + 1 < tokens.length && !p.used.has(tokens[j + 1]) && tokens[j + 1].type !== 'eos') j++
    const last = tokens[j]
    const text = p.src.slice(t.pos, last.end).replace(/\s+/g, ' ')
    const head = `\`${text}\` at ${at(t.pos)}: `
    const reused = reusedQuotes.get(t.pos)
    const upper = t.type === 'ident' ? t.value.toLowerCase() : ''
    if (t.type === 'string' && reused !== undefined) {
      p.warn(
        t.pos,
        head +
          `the closing quote of the string at ${at(reused)} is not followed by a space, \`,\`, \`)\` or the end, so Segment's lexer reads it again as an opening quote; Segment ignores this part of the trigger (put a space after the closing quote)`,
      )
    } else if (t.type === 'ident' && i === j && tokens[j + 1]?.type === 'parenleft' && tokens[j + 1].pos === t.end && !isFunctionToken(t)) {
      p.warn(t.pos, head + `Segment has no function \`${t.value}\` (only contains and match); it ignores the name and reads the parentheses that follow as a plain group`)
    } else if (t.type === 'ident' && (upper === 'and' || upper === 'or' || upper === 'not')) {
      p.warn(
        t.pos,
        head +
          `\`${t.value}\` is not a keyword (only lowercase \`and\`/\`or\` are, and there is no \`not\`); Segment ignores it${upper === 'not' ? ', so what follows is NOT negated' : " and combines the conditions with this level's last `and`/`or` (`and` if there is none)"}`,
      )
    } else if (t.type === 'ident' && !(t.value.split('.')[0] in Object.prototype) && !isFunctionToken(t)) {
      const root = t.value.split('.')[0]
      p.warn(
        t.pos,
        head +
          (root === 'true' || root === 'false'
            ? `\`${root}\` is not a field or keyword Segment supports; Segment ignores this part`
            : `\`${t.value}\` is not a field Segment supports (${FIELD_LIST}); Segment drops this condition and evaluates the trigger without it`),
      )
    } else if (t.type === 'operator' && t.value === '!') {
      p.warn(t.pos, head + '`!` only negates contains(…) or match(…); Segment ignores it here, so what follows is NOT negated')
    } else if (t.type === 'parenright' && i === j) {
      p.warn(t.pos, head + 'this `)` has no matching `(` (a group ends at its first `)`, including one that closes contains(…)/match(…)); Segment ignores it')
    } else {
      p.warn(t.pos, head + 'Segment ignores this part of the trigger')
    }
    i = j + 1
  }
}
