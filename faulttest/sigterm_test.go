package faulttest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gatedBody sends the first half of a body, then waits for open before the rest: the request
// is in flight, its handler reading, until the test lets it finish.
type gatedBody struct {
	data []byte
	half int
	off  int
	open <-chan struct{}
}

func (b *gatedBody) Read(p []byte) (int, error) {
	if b.off == b.half {
		<-b.open
	}
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	end := len(b.data)
	if b.off < b.half {
		end = b.half
	}
	n := copy(p, b.data[b.off:end])
	b.off += n
	return n, nil
}

// SIGTERM with requests in flight: postlab stops taking new connections, lets the requests
// it has finish (each answered 200, each write kept), and exits 0.
func TestSigtermLetsRequestsInFlightFinish(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "postlab.db")
	inst := startPostlab(t, dbURL)
	c := newClient(inst.url, inst.key, time.Minute)
	exp, variants := c.runningExperiment(t, "sigterm")
	const requests, perRequest = 20, 500
	postIDs := c.logPosts(t, exp, variants, requests, "st-")
	// Expect: 100-continue tells when a request's handler has begun to read its body: from then
	// on the request is in flight.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: time.Minute}}
	open := make(chan struct{})
	var wg, reading sync.WaitGroup
	reading.Add(requests)
	statuses := make([]int, requests)
	errs := make([]error, requests)
	for i := range requests {
		snaps := make([]map[string]any, perRequest)
		for j := range snaps {
			snaps[j] = map[string]any{"post_id": postIDs[i], "views": j,
				"observed_at": time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(j) * time.Minute).Format(time.RFC3339)}
		}
		data, err := json.Marshal(map[string]any{"snapshots": snaps})
		if err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			Got100Continue: func() { once.Do(reading.Done) }})
		req, err := http.NewRequestWithContext(ctx, "POST", inst.url+"/v1/snapshots:batch",
			&gatedBody{data: data, half: len(data) / 2, open: open})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Expect", "100-continue")
		wg.Go(func() {
			res, err := hc.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	reading.Wait()
	inst.signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the shutdown has begun: the listener is closed
	refused := c.do("GET", "/v1/experiments/"+exp, nil)
	close(open)
	wg.Wait()
	exit := inst.wait(20 * time.Second)
	ok := 0
	for i := range statuses {
		if statuses[i] == http.StatusOK {
			ok++
		} else {
			t.Errorf("request %d in flight at SIGTERM = %d %v, want 200", i, statuses[i], errs[i])
		}
	}
	if refused.err == nil {
		t.Errorf("a new request after SIGTERM was answered %d, want the connection refused", refused.status)
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
	t.Logf("SIGTERM with %d batch requests in flight (their bodies half sent): %d answered 200, %d of %d snapshots kept; a new request was refused (%v); exit %v",
		requests, ok, kept, requests*perRequest, refused.err != nil, exit)
	if kept != requests*perRequest {
		t.Errorf("%d snapshots kept after SIGTERM, want %d", kept, requests*perRequest)
	}
}
