// Lint: typescript-eslint's recommended rules plus the layer rules of DESIGN.md §3,
// so that the folder structure cannot erode (e.g. only http/ may import fastify).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/errors/**'], rules: restrict([{ group: ['../*', 'fastify'], message: 'errors/ imports nothing' }]) },
  { files: ['src/domain/**'], rules: restrict([{ group: ['../storage/*', '../metadata/*', '../http/*', '../registry/*', 'fastify'], message: 'domain/ imports only errors/' }]) },
  { files: ['src/storage/**', 'src/metadata/**', 'src/registry/**', 'src/config/**'], rules: restrict([{ group: ['fastify', '**/http/*'], message: 'only http/ may import the HTTP framework' }]) },
  { files: ['src/registry/**'], rules: restrict([{ group: ['fastify', '**/http/*', '**/main.js', '**/storage/local/*', '**/metadata/sql/*', '**/metadata/dialects/*'], message: 'registry/ depends on contracts only' }]) },
);
