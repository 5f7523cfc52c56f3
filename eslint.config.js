// ESLint (flat config) with typescript-eslint's parser. Only rules the project has decided on:
// see README "Dependencies" for why ESLint and not Biome (max-lines-per-function can skip comments).
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tmp/**', 'coverage/**', '.segamp/**'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    // typescript-eslint's rules are registered (existing disable comments name some) but not enabled.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // No function over 120 lines of code (blank lines and comments not counted).
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true, IIFEs: true }],
      // Exit codes are decided in one place (src/errors.ts exitCodes): no numbers elsewhere.
      'no-restricted-syntax': [
        'error',
        {
          selector: "AssignmentExpression[left.object.name='process'][left.property.name='exitCode'] > Literal.right",
          message: 'Use exitCodes from src/errors.ts (or throw a SegampError) instead of a literal exit code.',
        },
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit'] > Literal",
          message: 'Use exitCodes from src/errors.ts instead of a literal exit code.',
        },
      ],
    },
  },
)
