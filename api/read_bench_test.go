package api_test

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"postlab/api"
)

// BenchmarkRead measures, in process, the server's cost of an authenticated read next to
// /healthz's (scripts/bench-http.sh measures them over the network with wrk). Besides the
// time per request it reports the process's CPU time per request (cpu-µs/op), which moves
// less than the wall time when other work shares the machine.
func BenchmarkRead(b *testing.B) {
	for _, d := range []string{"postgres", "sqlite"} {
		opts := api.DefaultOptions()
		opts.RateLimit = 0
		e := newEnv(b, d, opts)
		exp := e.experiment("bench")
		h := e.srv.Config.Handler
		for name, path := range map[string]string{"healthz": "/healthz", "experiment": "/v1/experiments/" + exp} {
			b.Run(d+"/"+name, func(b *testing.B) {
				start := cpuTime(b)
				defer func() { b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e3, "cpu-µs/op") }()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Header.Set("Authorization", "Bearer "+e.viewer)
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s = %d", path, rec.Code)
						}
					}
				})
			})
		}
	}
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
