package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// SIGTERM with requests in flight: postlab stops taking new connections, lets the requests
// it has finish (each answered 200, each write kept), and exits 0.
func TestSigtermLetsRequestsInFlightFinish(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "postlab.db")
	inst := startPostlab(t, dbURL)
	c := newClient(inst.url, inst.key, time.Minute)
	exp, variants := c.runningExperiment(t, "sigterm")
	const requests, perRequest = 20, 2000
	postIDs := make([]string, requests)
	for i := range postIDs {
		var p struct{ ID string }
		c.must(t, http.StatusCreated, "POST", "/v1/experiments/"+exp+"/posts", map[string]any{"variant_id": variants[i%2],
			"account": "ifrc", "external_id": fmt.Sprint("st-", i), "posted_at": "2026-01-01T00:00:00Z"}, &p)
		postIDs[i] = p.ID
	}
	answers := make([]answer, requests)
	done := make([]atomic.Bool, requests)
	// A connection of its own for each request: one kept alive from an earlier request could
	// be closed as idle by the shutdown just as the request goes out on it.
	c.hc.Transport = &http.Transport{DisableKeepAlives: true}
	var wg, sent sync.WaitGroup
	sent.Add(requests)
	for i := range requests {
		snaps := make([]map[string]any, perRequest)
		for j := range snaps {
			snaps[j] = map[string]any{"post_id": postIDs[i], "views": j,
				"observed_at": time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(j) * time.Minute).Format(time.RFC3339)}
		}
		var once sync.Once
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(sent.Done) }})
		wg.Go(func() {
			answers[i] = c.doTraced(ctx, "POST", "/v1/snapshots:batch", map[string]any{"snapshots": snaps})
			done[i].Store(true)
		})
	}
	// Every request has been sent whole on a connection of its own; a moment more and postlab
	// has taken each connection from the listener's queue (a connection still queued there
	// when the listener closes is reset by the kernel: it was never in flight).
	sent.Wait()
	time.Sleep(300 * time.Millisecond)
	answered := 0
	for i := range answers {
		if done[i].Load() {
			answered++
		}
	}
	inst.signal(syscall.SIGTERM)
	wg.Wait()
	exit := inst.wait(20 * time.Second)
	ok := 0
	for i, a := range answers {
		if a.err == nil && a.status == http.StatusOK {
			ok++
		} else {
			t.Errorf("request %d in flight at SIGTERM = %d %v, want 200", i, a.status, a.err)
		}
	}
	if answered > requests/2 {
		t.Errorf("%d of %d requests were answered before SIGTERM; the test needs them in flight", answered, requests)
	}
	if exit != nil {
		t.Errorf("postlab exited with %v after SIGTERM, want 0\n%s", exit, inst.logs())
	}
	after := startPostlab(t, dbURL)
	c = newClient(after.url, c.key, time.Minute)
	kept := 0
	for _, id := range postIDs {
		kept += len(snapshotTimes(t, c, id))
	}
	t.Logf("SIGTERM with %d batch requests in flight (%d answered before it): %d answered 200, %d of %d snapshots kept, exit %v",
		requests-answered, answered, ok, kept, requests*perRequest, exit)
	if kept != requests*perRequest {
		t.Errorf("%d snapshots kept after SIGTERM, want %d", kept, requests*perRequest)
	}
}
