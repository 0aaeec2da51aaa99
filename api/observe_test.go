package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"postlab/api"
)

// syncBuffer is a log sink that the server writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func TestMetrics(t *testing.T) {
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			opts := api.DefaultOptions()
			opts.Metrics = true
			e := newEnv(t, d, opts)
			exp, _, _ := e.running("metrics")
			e.do(call{method: "GET", path: "/v1/experiments/" + exp, key: e.viewer}).want(http.StatusOK)
			e.do(call{method: "GET", path: "/v1/experiments/nope", key: e.viewer}).problem(http.StatusNotFound, "")
			e.importRaw(exp, "", "text/csv", genericCSV).want(http.StatusOK)
			r := e.do(call{method: "GET", path: "/metrics"}).want(http.StatusOK)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("GET /metrics Content-Type = %q, want the Prometheus text format", ct)
			}
			for _, want := range []string{
				`postlab_http_requests_total{method="GET",route="/v1/experiments/:id",status="200"} 1`,
				`postlab_http_requests_total{method="GET",route="/v1/experiments/:id",status="404"} 1`,
				`postlab_http_request_duration_seconds_bucket{method="GET",route="/v1/experiments/:id",le="0.05"}`,
				`postlab_import_rows_total{dry_run="false",outcome="written"} 4`,
				`postlab_db_open_connections `,
				`postlab_db_wait_count_total `,
			} {
				if !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("GET /metrics lacks %s", want)
				}
			}
			off := newEnv(t, d, api.DefaultOptions())
			off.do(call{method: "GET", path: "/metrics", outsideContract: true}).problem(http.StatusNotFound, "")
		})
	}
}

// TestRequestIDs: every answer and every log line of its request carry one request id; a
// client's disconnect is logged as such, not as a server error.
func TestRequestIDs(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnvLogged(t, "sqlite", api.DefaultOptions(), nil, logger)
	mine := e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer, headers: map[string]string{"X-Request-Id": "trace-42"}})
	forged := e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer, headers: map[string]string{"X-Request-Id": "bad id\twith spaces"}})
	if mine.Header.Get("X-Request-Id") != "trace-42" {
		t.Errorf("a client's own request id was not kept: %q", mine.Header.Get("X-Request-Id"))
	}
	if id := forged.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Errorf("an unsafe request id was answered back: %q", id)
	}

	// A client that goes away mid-request.
	ctx, cancel := context.WithCancel(context.Background())
	restore := api.SetCrashHook(func(reqCtx context.Context, stage string) {
		if stage == "before-commit" {
			cancel()
			<-reqCtx.Done()
		}
	})
	e.rawPost(ctx, "/v1/experiments", e.editor, "gone", map[string]any{"key": "gone", "name": "Gone", "platform": "tiktok"})
	restore()
	// The server finishes the cancelled request on its own time: wait for its log line (long
	// enough for a loaded machine under the race detector; found, the wait ends at once).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if strings.Contains(logs.String(), `"status":499`) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	ids := map[string]int{}
	var closed, closedLine bool
	for _, l := range logs.lines(t) {
		id, _ := l["request_id"].(string)
		if l["msg"] == "request" && id == "" {
			t.Errorf("request log line without request_id: %v", l)
		}
		if l["level"] == "ERROR" {
			t.Errorf("error logged: %v", l)
		}
		if l["msg"] == "request" && l["status"] == float64(499) && l["level"] == "WARN" {
			closed = true
		}
		if l["msg"] == "client closed the request" && id != "" {
			closedLine = true
		}
		ids[id]++
	}
	if ids["trace-42"] != 1 || ids[forged.Header.Get("X-Request-Id")] != 1 {
		t.Errorf("log lines by request id = %v", ids)
	}
	if !closed || !closedLine {
		t.Errorf("a disconnected client was not logged as such (request line 499 WARN: %v; own line with request_id: %v); log:\n%s", closed, closedLine, logs.String())
	}
}

// TestKeyCache: a verified key is trusted for a while without a lookup; revoking it through
// this server ends that at once; invalid keys are limited per client address, whatever
// X-Forwarded-For says, before any lookup.
func TestKeyCache(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		doomed := e.newKey(e.admin, "viewer")
		e.do(call{method: "GET", path: "/v1/workspace", key: doomed}).want(http.StatusOK)
		var keys struct{ Items []struct{ ID, Name string } }
		e.do(call{method: "GET", path: "/v1/keys", key: e.admin}).want(http.StatusOK).decode(&keys)
		id := keys.Items[len(keys.Items)-1].ID
		// Revoked behind this server's back (another instance, the command line): the cached
		// key works until its entry expires.
		admin, err := e.svc.Authenticate(context.Background(), e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeKey(context.Background(), admin, id); err != nil {
			t.Fatal(err)
		}
		e.do(call{method: "GET", path: "/v1/workspace", key: doomed}).want(http.StatusOK)
		// Revoked through this server: refused at once.
		other := e.newKey(e.admin, "viewer")
		e.do(call{method: "GET", path: "/v1/workspace", key: other}).want(http.StatusOK)
		e.do(call{method: "GET", path: "/v1/keys", key: e.admin}).want(http.StatusOK).decode(&keys)
		e.do(call{method: "DELETE", path: "/v1/keys/" + keys.Items[len(keys.Items)-1].ID, key: e.admin}).want(http.StatusNoContent)
		e.do(call{method: "GET", path: "/v1/workspace", key: other}).problem(http.StatusUnauthorized, "")
	})

	opts := api.DefaultOptions()
	opts.InvalidKeyRate, opts.InvalidKeyBurst = 0.01, 3
	e := newEnv(t, "sqlite", opts)
	e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer}).want(http.StatusOK)
	limited := 0
	for i := range 6 {
		r := e.do(call{method: "GET", path: "/v1/workspace", key: "pl_" + strings.Repeat("0", 48),
			headers: map[string]string{"X-Forwarded-For": "203.0.113." + string(rune('1'+i))}})
		switch r.Status {
		case http.StatusTooManyRequests:
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		case http.StatusUnauthorized:
		default:
			t.Errorf("invalid key = %d, want 401 or 429", r.Status)
		}
	}
	if limited != 3 {
		t.Errorf("%d of 6 invalid keys limited with a burst of 3, want 3", limited)
	}
	// A key already verified still works from the limited address.
	e.do(call{method: "GET", path: "/v1/workspace", key: e.viewer}).want(http.StatusOK)
}
