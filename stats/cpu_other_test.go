//go:build !unix

package stats

import "time"

// cpuTime is not measured here; benchmarks then report ns/op only.
func cpuTime() time.Duration { return 0 }
