/**
 * FQL lexer with the exact observable behavior of `@segment/fql-ts` 1.10.1
 * (the lexer Segment's `parseFql` uses), quirks included:
 *  - keywords `and`, `or`, `null` count only when followed by a terminator;
 *  - a keyword look-ahead that runs into the end of the input swallows the
 *    characters it read (`ax` at the very end lexes as the identifier `a`);
 *  - strings have no escape sequences and their closing quote is consumed only
 *    when followed by a terminator;
 *  - an identifier must be followed by a terminator, `.`, `(`, `=` or `!`.
 * Written from a reading of the behavior, not copied. Positions are 0-based
 * UTF-16 offsets into the source.
 */

export type TokenType = 'ident' | 'dot' | 'operator' | 'conditional' | 'string' | 'number' | 'null' | 'brackleft' | 'brackright' | 'parenleft' | 'parenright' | 'comma' | 'eos'

export interface Token {
  type: TokenType
  value: string
  /** 0-based offset of the token's first character (source length for EOS; -1 for synthetic tokens). */
  pos: number
  /** 0-based offset just past the token's last consumed character. */
  end: number
}

/** A lexing failure (Segment then sees no tokens at all). */
export interface LexFailure {
  message: string
  /** 0-based offset of the offending character. */
  pos: number
  hint: string
}

/** A place where the lexer silently dropped characters (keyword look-ahead ran into the end). */
export interface LexTruncation {
  pos: number
  source: string
  readAs: string
}

export interface LexResult {
  tokens: Token[]
  /** Offsets of closing quotes the lexer re-read as opening quotes → offset of the string they close. */
  reusedQuotes: Map<number, number>
  error?: LexFailure
  truncations: LexTruncation[]
}

const MAX_LEN = 100000

const isAlpha = (c: string): boolean => c.length === 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
const isDigit = (c: string): boolean => c.length === 1 && c >= '0' && c <= '9'
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n'
/** '' stands for end of input. */
const isTerminator = (c: string): boolean => c === '' || isWhitespace(c) || c === ',' || c === ']' || c === ')'
const isIdentChar = (c: string): boolean => isAlpha(c) || isDigit(c) || c === '_' || c === '-' || c === '\\'

const describeChar = (c: string | undefined): string => (c === undefined ? 'the end' : c === '\r' ? 'a carriage return (\\r)' : c === '"' || c === "'" ? `another ${c}` : `"${c}"`)

class LexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly hint: string,
  ) {
    super(message)
  }
}

class Scanner {
  i = 0
  readonly tokens: Token[] = []
  readonly truncations: LexTruncation[] = []
  /** Closing quotes that were not consumed (not followed by a terminator) → start of the string they close. */
  readonly reusedQuotes = new Map<number, number>()
  constructor(readonly s: string) {}

  peek(): string {
    return this.i < this.s.length ? this.s[this.i] : ''
  }

  /**
   * Try to read `word` followed by a terminator. On success it is consumed.
   * Reading stops early at a terminator (nothing consumed). If the input ends
   * while reading, whatever was read stays consumed (fql-ts behavior).
   */
  accept(word: string): boolean {
    const start = this.i
    let read = ''
    for (let k = 0; k < word.length; k++) {
      if (this.i >= this.s.length) return false
      const c = this.s[this.i++]
      read += c
      if (isTerminator(c)) break
    }
    if (read === word && isTerminator(this.peek())) return true
    this.i = start
    return false
  }

  run(): void {
    const s = this.s
    for (;;) {
      if (this.i >= s.length) {
        this.tokens.push({ type: 'eos', value: 'eos', pos: s.length, end: s.length })
        return
      }
      const start = this.i
      const c = s[this.i++]
      if (isWhitespace(c)) continue
      if (c === '!') {
        const n = this.peek()
        if (isAlpha(n) || n === '(') {
          this.push('operator', '!', start)
          continue
        }
      }
      if (isAlpha(c) || c === '!' || c === '=' || c === '>' || c === '<' || c === '\\' || c === '_') {
        this.lexOperatorOrKeyword(c, start)
      } else if (isDigit(c) || c === '-' || c === '+') {
        this.lexNumber(c, start)
      } else if (c === '"' || c === "'") {
        this.lexString(c, start)
      } else if (c === '.') this.push('dot', '.', start)
      else if (c === '[') this.push('brackleft', '[', start)
      else if (c === ']') this.push('brackright', ']', start)
      else if (c === ',') this.push('comma', ',', start)
      else if (c === '(') this.push('parenleft', '(', start)
      else if (c === ')') this.push('parenright', ')', start)
      else {
        throw new LexError(
          `invalid character "${c}"`,
          start,
          'outside quotes only field names, operators (= != < <= > >=), numbers, parentheses, commas and `!` are allowed; quote values with "…" and escape special characters in field names with `\\`',
        )
      }
    }
  }

  private push(type: TokenType, value: string, pos: number): void {
    this.tokens.push({ type, value, pos, end: this.i })
  }

  private keyword(word: string, type: TokenType, first: string, start: number): void {
    const before = this.i
    if (this.accept(word)) {
      this.push(type, first + word, start)
      return
    }
    const swallowed = this.i > before
    this.lexIdent(first, start)
    if (swallowed) {
      this.truncations.push({ pos: start, source: this.s.slice(start), readAs: first })
    }
  }

  private lexOperatorOrKeyword(c: string, start: number): void {
    if (c === '=') return this.push('operator', '=', start)
    if (c === '!') {
      if (this.accept('=')) return this.push('operator', '!=', start)
      throw new LexError(
        `expected '=' after '!', got ${this.peek() === '' ? 'the end of the trigger' : `'${this.peek()}'`}`,
        start,
        '`!=` must be followed by a space (`!= "x"`); a lone `!` may only precede contains(…) or match(…)',
      )
    }
    if (c === 'a') return this.keyword('nd', 'conditional', 'a', start)
    if (c === 'o') return this.keyword('r', 'conditional', 'o', start)
    if (c === 'n') return this.keyword('ull', 'null', 'n', start)
    if (c === '<' || c === '>') {
      if (this.accept('=')) return this.push('operator', c + '=', start)
      return this.push('operator', c, start)
    }
    this.lexIdent(c, start)
  }

  private lexIdent(first: string, start: number): void {
    const s = this.s
    let str = ''
    let c = first
    for (;;) {
      if (c === '\\') {
        if (this.i >= s.length) {
          throw new LexError('expected character after escape character, got EOS', this.i - 1, 'a `\\` in a field name must be followed by the character it escapes')
        }
        c = s[this.i++]
      }
      str += c
      if (str.length >= MAX_LEN) throw new LexError('unreasonable literal length', start, 'shorten the field name')
      if (!isIdentChar(this.peek())) break
      c = s[this.i++]
    }
    const n = this.peek()
    if (!(isTerminator(n) || n === '.' || n === '(' || n === '=' || n === '!')) {
      throw new LexError(
        `expected termination character after identifier, got ${n}`,
        this.i,
        `separate \`${str}\` from what follows with a space (e.g. \`properties.price > 10\`), or escape the character with \`\\\``,
      )
    }
    this.tokens.push({ type: 'ident', value: str, pos: start, end: this.i })
  }

  private lexNumber(first: string, start: number): void {
    let str = ''
    let n = this.peek()
    let decimal = false
    while (isDigit(n) || n === '.') {
      str += this.s[this.i++]
      if (n === '.') {
        if (isTerminator(this.peek())) {
          throw new LexError('unexpected terminator after decimal point', this.i - 1, 'write digits after the decimal point (`1.0`)')
        }
        if (decimal) {
          throw new LexError('multiple decimal points in one number', this.i - 1, 'a number may contain only one `.`')
        }
        decimal = true
      }
      if (str.length >= MAX_LEN) throw new LexError('unreasonable number length', start, 'shorten the number')
      n = this.peek()
    }
    this.push('number', first + str, start)
  }

  private lexString(quote: string, start: number): void {
    const s = this.s
    let str = ''
    while (this.peek() !== quote) {
      if (this.i >= s.length) {
        const reused = this.reusedQuotes.get(start)
        if (reused !== undefined) {
          throw new LexError(
            'unterminated string',
            start,
            `the closing ${quote} of the string at character ${reused + 1} is followed by ${describeChar(s[start + 1])} instead of a space, \`,\`, \`)\` or the end, so Segment's lexer reads it as the opening quote of a new string; put a space after the closing quote`,
          )
        }
        throw new LexError('unterminated string', start, `add the closing ${quote} (strings have no escape sequences; \`\\${quote}\` does not escape the quote)`)
      }
      str += s[this.i++]
      if (str.length >= MAX_LEN) throw new LexError('unreasonable string length', start, 'shorten the string')
    }
    const closing = this.i
    if (!this.accept(quote)) this.reusedQuotes.set(closing, start)
    this.push('string', quote + str + quote, start)
  }
}

/** Lex `code` exactly like fql-ts 1.10.1 (tokens are [] when `error` is set). */
export function lex(code: string): LexResult {
  const sc = new Scanner(code)
  try {
    sc.run()
    return { tokens: sc.tokens, truncations: sc.truncations, reusedQuotes: sc.reusedQuotes }
  } catch (e) {
    if (e instanceof LexError) return { tokens: [], error: { message: e.message, pos: e.pos, hint: e.hint }, truncations: [], reusedQuotes: sc.reusedQuotes }
    throw e
  }
}

/** Join `ident . ident` runs into one identifier (what parse-fql does before parsing). */
export function normalize(tokens: Token[]): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < tokens.length) {
    const last = out[out.length - 1]
    const cur = tokens[i]
    const next = tokens[i + 1]
    if (last?.type === 'ident' && cur.type === 'dot' && next?.type === 'ident') {
      out[out.length - 1] = { type: 'ident', value: `${last.value}.${next.value}`, pos: last.pos, end: next.end }
      i += 2
    } else {
      out.push(cur)
      i++
    }
  }
  return out
}
