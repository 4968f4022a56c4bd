// Jest runs the TypeScript sources as native ESM (oidc-provider is ESM-only), transpiled by
// ts-jest without type information (isolatedModules): `npm test` runs `tsc --noEmit` first.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests', '<rootDir>/console/tests'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The package's own export, as resource servers import it.
    '^latchkey/express$': '<rootDir>/server/middleware/express.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { isolatedModules: true } }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
