package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"postlab"
	"postlab/api"
	"postlab/experiments"
)

func idem(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// countExperiments counts the experiments the viewer key sees.
func (e *env) countExperiments() int {
	e.t.Helper()
	var list struct{ Items []any }
	e.do(call{method: "GET", path: "/v1/experiments", key: e.viewer}).want(http.StatusOK).decode(&list)
	return len(list.Items)
}

// record reads the stored idempotency record of a request by key (secret), or nil.
func (e *env) record(secret, method, path, query, key string) *experiments.IdempotencyRecord {
	e.t.Helper()
	p, err := e.svc.Authenticate(context.Background(), secret)
	if err != nil {
		e.t.Fatal(err)
	}
	scope := api.IdempotencyScope(p.WorkspaceID, p.KeyID, method, path, query, key)
	var rec *experiments.IdempotencyRecord
	err = e.svc.Store().Tx(context.Background(), func(tx experiments.Tx) (err error) {
		rec, err = tx.IdempotencyRecord(scope, time.Time{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

// TestIdempotencyKeyCreation: a viewer repeating an admin's key creation is refused by the role
// check, not answered from the record; the admin's repeat is refused with 409 and the key's id,
// and the secret is stored nowhere.
func TestIdempotencyKeyCreation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		body := map[string]any{"name": "ops", "role": "admin"}
		first := e.do(call{method: "POST", path: "/v1/keys", key: e.admin, body: body, headers: idem("key-1")}).want(http.StatusCreated)
		secret, id := first.field("secret"), first.field("id")
		e.do(call{method: "POST", path: "/v1/keys", key: e.viewer, body: body, headers: idem("key-1")}).problem(http.StatusForbidden, "")
		again := e.do(call{method: "POST", path: "/v1/keys", key: e.admin, body: body, headers: idem("key-1")})
		p := again.problem(http.StatusConflict, "")
		if p.Type != "/problems/secret-not-replayed" || !strings.Contains(p.Detail, id) || bytes.Contains(again.Body, []byte(secret)) {
			t.Errorf("repeated key creation = %s, want a refusal naming %s without the secret", again.Body, id)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Error("the refusal does not say it answers a repeat (Idempotent-Replayed)")
		}
		rec := e.record(e.admin, "POST", "/v1/keys", "", "key-1")
		if rec == nil || !rec.Redacted || bytes.Contains(rec.Body, []byte(secret)) || bytes.Contains(rec.Body, []byte("pl_")) {
			t.Errorf("stored record of key creation = %+v, want one without the secret", rec)
		}
	})
}

// TestIdempotencyScope: the key is scoped by API key and query, the fingerprint covers the
// content type, and errors are never stored.
func TestIdempotencyScope(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		exp, _, _ := e.running("scope")
		h := map[string]string{"Idempotency-Key": "imp-1", "Content-Type": "text/csv"}
		path := "/v1/experiments/" + exp + "/import"
		var dry, real importAnswer
		e.do(call{method: "POST", path: path + "?dry_run=true", key: e.editor, raw: genericCSV, headers: h}).want(http.StatusOK).decode(&dry)
		r := e.do(call{method: "POST", path: path, key: e.editor, raw: genericCSV, headers: h}).want(http.StatusOK)
		r.decode(&real)
		if !dry.DryRun || real.DryRun || real.PostsCreated != 3 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("import after a dry run with the same key: dry %+v, real %+v (replayed %q)", dry, real, r.Header.Get("Idempotent-Replayed"))
		}

		// Another API key of the same workspace does not get this key's answer.
		body := map[string]any{"key": "scoped", "name": "Scoped", "platform": "tiktok"}
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("exp-1")}).want(http.StatusCreated)
		other := e.newKey(e.admin, "editor")
		e.do(call{method: "POST", path: "/v1/experiments", key: other, body: body, headers: idem("exp-1")}).problem(http.StatusConflict, "")

		// The same body under another content type is another request.
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body,
			headers: map[string]string{"Idempotency-Key": "exp-1", "Content-Type": "application/json; charset=utf-8"}}).
			problem(http.StatusUnprocessableEntity, "Idempotency-Key")

		// Answers to requests that failed are not stored: the corrected request runs.
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, headers: idem("exp-2"),
			body: map[string]any{"key": "fixed", "name": "Fixed", "platform": "tiktok", "primary_metric": "vibes"}}).
			problem(http.StatusUnprocessableEntity, "primary_metric")
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, raw: `{"key":"fixed"}`,
			headers: map[string]string{"Idempotency-Key": "exp-2", "Content-Type": "text/plain"}}).problem(http.StatusUnsupportedMediaType, "")
		e.do(call{method: "POST", path: "/v1/experiments", key: e.viewer, headers: idem("exp-2"),
			body: map[string]any{"key": "fixed", "name": "Fixed", "platform": "tiktok"}}).problem(http.StatusForbidden, "")
		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, headers: idem("exp-2"),
			body: map[string]any{"key": "fixed", "name": "Fixed", "platform": "tiktok"}}).want(http.StatusCreated)

		e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem(""), specInvalid: true}).
			problem(http.StatusBadRequest, "Idempotency-Key")
	})
}

// TestIdempotencyInFlight: a repeat while the first request is in flight is 409 with
// Retry-After, on the same instance and (PostgreSQL) on another one; once the first has
// answered, the repeat gets its answer.
func TestIdempotencyInFlight(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		reached, release := make(chan struct{}), make(chan struct{})
		var once, released sync.Once
		restore := api.SetCrashHook(func(_ context.Context, stage string) {
			if stage == "before-commit" {
				once.Do(func() { close(reached); <-release })
			}
		})
		defer restore()
		letGo := func() { released.Do(func() { close(release) }) }
		defer letGo() // a failed check must not leave the first request waiting
		body := map[string]any{"key": "flight", "name": "Flight", "platform": "tiktok"}
		var first *response
		done := make(chan struct{})
		go func() {
			defer close(done)
			first = e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("busy")})
		}()
		<-reached
		r := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("busy")})
		r.problem(http.StatusConflict, "")
		if r.Header.Get("Retry-After") == "" {
			t.Error("409 in flight without Retry-After")
		}
		if e.svc.Store().Dialect() == "postgres" {
			// A second instance on the same database sees the first's lock.
			other := e.sibling()
			r := other.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("busy")})
			r.problem(http.StatusConflict, "")
		}
		letGo()
		<-done
		first.want(http.StatusCreated)
		again := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("busy")}).want(http.StatusCreated)
		if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("repeat after the first answered:\n%s\nwant the replay of\n%s", again.Body, first.Body)
		}
	})
}

// sibling is a second server on the same database, with the same keys.
func (e *env) sibling() *env {
	e.t.Helper()
	opts := api.DefaultOptions()
	opts.OpenAPI = postlab.OpenAPI
	h, err := api.NewServer(context.Background(), e.all, slog.New(slog.DiscardHandler), opts)
	if err != nil {
		e.t.Fatalf("NewServer: %v", err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	other := *e
	other.srv = srv
	return &other
}

// rawPost sends a POST outside the harness, for requests that may get no answer.
func (e *env) rawPost(ctx context.Context, path, secret, key string, body any) (*http.Response, []byte, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Idempotency-Key", key)
	req.GetBody = nil // no silent retry by the transport: the test retries itself
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// TestIdempotencyCrash: a server that dies between the write and the answer, or a client that
// goes away, leaves the write and its record both or neither: a retry gets the first answer or
// runs afresh, never 409, and never writes twice.
func TestIdempotencyCrash(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		crashAt := func(at string) func() {
			return api.SetCrashHook(func(_ context.Context, stage string) {
				if stage == at {
					panic(http.ErrAbortHandler) // the connection drops without an answer, as in a crash
				}
			})
		}
		for i, c := range []struct {
			stage    string
			replayed string // the retry's Idempotent-Replayed
		}{{"before-commit", ""}, {"after-commit", "true"}} {
			body := map[string]any{"key": c.stage, "name": "Crash", "platform": "tiktok"}
			restore := crashAt(c.stage)
			if res, _, err := e.rawPost(context.Background(), "/v1/experiments", e.editor, c.stage, body); err == nil {
				t.Errorf("crash at %s: the client got an answer %d", c.stage, res.StatusCode)
			}
			restore()
			retry := e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem(c.stage)}).want(http.StatusCreated)
			if retry.Header.Get("Idempotent-Replayed") != c.replayed {
				t.Errorf("crash at %s: retry's Idempotent-Replayed = %q, want %q", c.stage, retry.Header.Get("Idempotent-Replayed"), c.replayed)
			}
			if n := e.countExperiments(); n != i+1 {
				t.Errorf("crash at %s: %d experiments after the retry, want %d", c.stage, n, i+1)
			}
		}

		// A client that goes away before the commit: its context ends the transaction.
		ctx, cancel := context.WithCancel(context.Background())
		restore := api.SetCrashHook(func(reqCtx context.Context, stage string) {
			if stage == "before-commit" {
				cancel()
				<-reqCtx.Done() // the server has seen the client go
			}
		})
		body := map[string]any{"key": "gone", "name": "Gone", "platform": "tiktok"}
		if _, _, err := e.rawPost(ctx, "/v1/experiments", e.editor, "gone", body); err == nil {
			t.Error("a cancelled request got an answer")
		}
		restore()
		// The server may still be rolling back when the client retries: 409 with Retry-After
		// says so, for a moment.
		var retry *response
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			retry = e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("gone")})
			if retry.Status != http.StatusConflict || retry.Header.Get("Retry-After") == "" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		retry.want(http.StatusCreated)
		if retry.Header.Get("Idempotent-Replayed") != "" || e.countExperiments() != 3 {
			t.Errorf("retry after a cancelled request: replayed %q, %d experiments; want a fresh run, 3",
				retry.Header.Get("Idempotent-Replayed"), e.countExperiments())
		}
	})
}

// TestIdempotencyExpiry: after 24 hours a key no longer replays, and its record is purged.
func TestIdempotencyExpiry(t *testing.T) {
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Date(2026, 9, 14, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			e := newEnvAt(t, d, api.DefaultOptions(), clock)
			body := map[string]any{"key": "old", "name": "Old", "platform": "tiktok"}
			e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("old")}).want(http.StatusCreated)
			e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("old")}).want(http.StatusCreated)
			mu.Lock()
			now = now.Add(25 * time.Hour)
			mu.Unlock()
			// Not replayed: the request runs again and meets the experiment it created.
			e.do(call{method: "POST", path: "/v1/experiments", key: e.editor, body: body, headers: idem("old")}).problem(http.StatusConflict, "")
			if rec := e.record(e.editor, "POST", "/v1/experiments", "", "old"); rec != nil {
				t.Errorf("record of 25 hours ago was not purged: %+v", rec)
			}
		})
	}
}
