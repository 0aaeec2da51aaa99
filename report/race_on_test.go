//go:build race

package report

// raceDetector says whether the tests run under -race. The simulations are single-threaded
// arithmetic that the detector slows tenfold and checks nothing in: scripts/test.sh runs them
// in a second pass without it.
const raceDetector = true
