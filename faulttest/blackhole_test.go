package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// A database whose connection goes silent (packets dropped, nothing refused) must not hang
// requests: they are answered 503 with Retry-After within the bound, and postlab recovers by
// itself when the connection comes back.
func TestBlackholedDatabase(t *testing.T) {
	pg := startCluster(t)
	dbURL := pg.createDatabase("postlab")
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	tp := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := toxiproxy.NewProxy(tp, "postgres", proxyAddr, fmt.Sprintf("127.0.0.1:%d", pg.port))
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	inst := startPostlab(t, strings.Replace(dbURL, fmt.Sprintf(":%d/", pg.port), ":"+strings.Split(proxyAddr, ":")[1]+"/", 1),
		"POSTLAB_DB_TIMEOUT="+dbTimeout.String())
	c := newClient(inst.url, inst.key, time.Minute)
	exp, variants := c.runningExperiment(t, "blackhole")

	rounds := 1
	if long() {
		rounds = 3
	}
	for round := range rounds {
		for _, dir := range []string{"upstream", "downstream"} {
			_, err := proxy.Toxics.AddToxicJson(strings.NewReader(
				`{"name":"blackhole_` + dir + `","type":"timeout","stream":"` + dir + `","attributes":{"timeout":0}}`))
			if err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		answers := make([]answer, 8)
		for i := range answers {
			wg.Go(func() {
				if i%2 == 0 {
					answers[i] = c.do("GET", "/v1/experiments/"+exp, nil)
					return
				}
				answers[i] = c.do("POST", "/v1/experiments/"+exp+"/posts", map[string]any{"variant_id": variants[0],
					"account": "ifrc", "external_id": fmt.Sprintf("bh-%d-%d", round, i), "posted_at": "2026-09-14T17:05:00Z"})
			})
		}
		wg.Wait()
		var slowest time.Duration
		for i, a := range answers {
			slowest = max(slowest, a.took)
			if a.err != nil || a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" ||
				a.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("request %d with the database blackholed = %d %v (Retry-After %q) after %s, want 503 problem+json with Retry-After",
					i, a.status, a.err, a.header.Get("Retry-After"), a.took)
			}
		}
		if slowest > outageBound {
			t.Errorf("with the database blackholed the slowest answer took %s, want at most %s", slowest, outageBound)
		}
		for _, dir := range []string{"upstream", "downstream"} {
			if err := proxy.Toxics.RemoveToxic(context.Background(), "blackhole_"+dir); err != nil {
				t.Fatal(err)
			}
		}
		back := time.Now()
		var recovered time.Duration
		for {
			if a := c.do("GET", "/v1/experiments/"+exp, nil); a.status == http.StatusOK {
				recovered = time.Since(back)
				break
			}
			if time.Since(back) > 15*time.Second {
				t.Fatalf("no 200 within 15s of the connection's return\n%s", inst.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("blackhole round %d: %d requests answered 503 in at most %s (timeout %s); first 200 %s after the connection returned",
			round+1, len(answers), slowest.Round(time.Millisecond), dbTimeout, recovered.Round(time.Millisecond))
		if recovered > 5*time.Second {
			t.Errorf("first 200 %s after the connection returned, want within 5s", recovered)
		}
	}
}
