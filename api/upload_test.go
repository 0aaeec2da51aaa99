package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"postlab/api"
	"postlab/store/storetest"
)

// An upload that is still coming in holds no transaction: other requests, writes included,
// are answered meanwhile (on SQLite, whose one write connection it would otherwise hold).
func TestSlowUploadDoesNotHoldTheDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, control, _ := e.running("slow-upload")
		pr, pw := io.Pipe()
		req, err := http.NewRequest("POST", e.srv.URL+"/v1/experiments/"+exp+"/import", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.editor)
		req.Header.Set("Content-Type", "text/csv")
		answered := make(chan int, 1)
		go func() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answered <- 0
				return
			}
			res.Body.Close()
			answered <- res.StatusCode
		}()
		// Enough whole rows to get past any buffering of the reader, then half a row.
		var sent strings.Builder
		sent.WriteString(strings.SplitAfter(genericCSV, "\n")[0])
		for i := range 2000 {
			fmt.Fprintf(&sent, "s%d,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,%d,5\n", i, i)
		}
		sent.WriteString("a1,evening,ifrc,2026-09-14T17:05:00Z,")
		if _, err := io.WriteString(pw, sent.String()); err != nil {
			t.Fatal(err)
		}
		// The upload is half sent and waits for the rest; these must not wait for it.
		others := make(chan struct{})
		go func() {
			defer close(others)
			e.do(call{method: "GET", path: "/v1/experiments/" + exp, key: e.viewer}).want(http.StatusOK)
			e.post(exp, control, "during-upload")
		}()
		select {
		case <-others:
		case <-time.After(20 * time.Second):
			t.Fatal("requests made during a slow upload waited for it")
		}
		if _, err := io.WriteString(pw, "2026-09-15T17:05:00Z,1000,50\n"); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if got := <-answered; got != http.StatusOK {
			t.Errorf("the slow upload = %d, want 200 once it is complete", got)
		}
	})
}

// A body that trickles in slower than the limits allow is cut off with 408; one within them
// is read whole.
func TestBodyReadLimits(t *testing.T) {
	services, h := wire(t, storetest.Open(t, "sqlite"), nil, slog.New(slog.DiscardHandler), api.DefaultOptions())
	srv := httptest.NewServer(api.WithBodyReadLimits(h, api.BodyReadLimits{MinRate: 1 << 20, Idle: 300 * time.Millisecond}))
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, svc: services.Experiments}
	e.admin = e.workspace("acme")
	e.editor = e.newKey(e.admin, "editor")
	exp, _, _ := e.running("trickle")

	send := func(pause time.Duration) (int, string) {
		pr, pw := io.Pipe()
		go func() {
			io.WriteString(pw, strings.SplitAfter(genericCSV, "\n")[0])
			time.Sleep(pause)
			io.WriteString(pw, "a1,evening,ifrc,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,1000,50\n")
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/experiments/"+exp+"/import", pr)
		req.Header.Set("Authorization", "Bearer "+e.editor)
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		var p api.Problem
		b, _ := io.ReadAll(res.Body)
		_ = json.Unmarshal(b, &p)
		return res.StatusCode, res.Header.Get("Content-Type") + " " + string(b)
	}
	if status, body := send(2 * time.Second); status != http.StatusRequestTimeout || !strings.HasPrefix(body, "application/problem+json") {
		t.Errorf("a body pausing 2s under a 300ms limit = %d %s, want 408 problem+json", status, body)
	}
	if status, body := send(50 * time.Millisecond); status != http.StatusOK {
		t.Errorf("a body within the limits = %d %s, want 200", status, body)
	}
}
