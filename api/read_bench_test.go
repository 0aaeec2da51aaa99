package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"postlab/api"
)

// BenchmarkRead measures, in process, the server's cost of an authenticated read next to
// /healthz's (scripts/bench-http.sh measures them over the network with wrk).
func BenchmarkRead(b *testing.B) {
	for _, d := range []string{"postgres", "sqlite"} {
		opts := api.DefaultOptions()
		opts.RateLimit = 0
		e := newEnv(b, d, opts)
		exp := e.experiment("bench")
		h := e.srv.Config.Handler
		for name, path := range map[string]string{"healthz": "/healthz", "experiment": "/v1/experiments/" + exp} {
			b.Run(d+"/"+name, func(b *testing.B) {
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
