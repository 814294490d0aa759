// Black-box tests: real clients against a real tdockd over a real socket.
module.exports = {
  spec: ['e2e/dist/**/*.test.js'],
  timeout: 120000,
  reporter: require.resolve('./scripts/mocha-reporter.cjs'),
  exit: true,
};
