// One mocha run over every workspace, so `npm test` prints one summary.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['routing-rules/test/**/*.test.ts', 'engine/test/**/*.test.ts', 'widget/test/**/*.test.ts', 'operator-ui/test/**/*.test.ts'],
  timeout: 20000,
  exit: true,
  reporter: process.env.CI ? 'dot' : 'spec',
};
