// Unit and integration tests that live beside each package (compiled to dist/test).
module.exports = {
  spec: ['test/**/*.test.mjs', 'packages/*/dist/test/**/*.test.js', 'bench/dist/test/**/*.test.js'],
  timeout: 60000,
  reporter: require.resolve('./scripts/mocha-reporter.cjs'),
  exit: true,
};
