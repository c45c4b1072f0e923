import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The floors of the architecture, lowest first (README, "Layout"): a folder imports only from
// floors below it (and itself). Tests, test helpers, benches and scripts may import anything.
const FLOORS = [
  ['core'],
  ['schemas'],
  ['bus'],
  ['warehouse'],
  ['connectors', 'pipeline'],
  ['alerts', 'importers'],
  ['api'],
  ['runtime'],
];
const layering = FLOORS.slice(0, -1).flatMap((folders, level) => {
  const above = FLOORS.slice(level + 1).flat();
  return folders.map((folder) => {
    const forbidden = [...above, ...folders.filter((f) => f !== folder)];
    return {
      files: [`${folder}/**/*.ts`],
      ignores: ['**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: forbidden.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`, `../../../../${f}/*`]),
                message: `${folder}/ may import only from the floors below it: ${FLOORS.slice(0, level).flat().join(', ') || 'none'} (README, Layout).`,
              },
            ],
          },
        ],
      },
    };
  });
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.cache/**', 'dashboard/app/build/**', 'dashboard/app/.svelte-kit/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  ...layering,
  {
    files: [
      'scripts/**',
      'bench/**',
      'demo/**',
      'runtime/import-cli.ts',
      'runtime/admin-cli.ts',
      'runtime/backup-cli.ts',
    ],
    rules: { 'no-console': 'off' },
  },
);
