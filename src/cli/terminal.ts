/**
 * Terminal safety: text segamp prints can carry what an archive's senders wrote (event names,
 * file names, server answers). Control characters in it could clear the screen, retitle the
 * terminal or hide lines, so every one is shown as a `\uXXXX` escape instead. Colour sequences
 * (SGR, `ESC [ … m`) pass, so chalk's styling survives. JSON stays valid and means the same:
 * JSON.stringify already escapes C0 controls, and `\uXXXX` is how JSON writes the others.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (m) => (m.length > 1 ? m : `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`))
}
