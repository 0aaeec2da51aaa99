//go:build !race

package api_test

// raceDetector says whether the tests run under -race, which makes each request several times
// slower: bounded tests then do less.
const raceDetector = false
