// Unit, integration and end-to-end tests, one run. `npm test` (scripts/test.mjs) starts the
// PostgreSQL server they share; each suite that needs NATS starts its own nats-server.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // NestJS 12 ships ES modules only; jest on Node 20 has to transform them.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@nats-io)/)'],
  moduleNameMapper: {
    '^#(contracts|common|messaging|event-store|runtime)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 60_000,
};
