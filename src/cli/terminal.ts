/** Terminal safety for the command line: see src/text.ts, where it lives so that services and stages can use it too. */
export { plainTerminalSafe, terminalSafe, visible } from '../text.js'
