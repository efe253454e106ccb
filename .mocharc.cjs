// Shared mocha options. `npm test` names every workspace's tests (one run, one summary);
// `npx mocha path/to/file.test.ts` runs just that file.
module.exports = {
  'node-option': ['import=tsx'],
  timeout: 20000,
  exit: true,
  reporter: process.env.CI ? 'dot' : 'spec',
};
