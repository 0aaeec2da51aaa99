package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// An idempotent POST follows the IETF draft "The Idempotency-Key HTTP Header Field" and
// Stripe's semantics:
//
//   - It runs after authentication, rate limiting and the route's role check, so a key never
//     replays an answer to a caller that could not have made the request.
//   - A key is scoped by workspace, API key, method, path and query: a dry run and a real
//     import, or two API keys, never share an answer.
//   - The fingerprint covers the content type and the body; the same key with another request
//     is 422.
//   - Only successful (2xx) answers are stored. An error answer means nothing was written (the
//     request's transaction is rolled back), so a retry simply runs again.
//   - The request's writes and the record of its answer commit in one transaction. The
//     middleware begins that transaction, puts it in the request's context (experiments.WithTx)
//     so that every store transaction of the handler joins it, renders the handler's answer
//     into a buffer, stores the answer, commits, and only then sends it. A crash (or a client
//     that goes away) before the commit leaves neither the writes nor the record, and a retry
//     runs afresh; a crash after it leaves both, and a retry gets the first answer.
//   - While the first request is in flight its transaction holds a lock on the scope (see
//     Tx.LockIdempotency; plus an in-process set that answers at once, without waiting for a
//     database connection): a repeat is 409 with Retry-After. A dead request's lock dies with
//     its transaction, so no key is ever stuck.
//   - An answer holding a secret (a new API key) is stored without it; repeating that request
//     is refused with 409, naming the key that was created, because the secret cannot be shown
//     again.
//   - Records expire after idempotencyTTL and are purged.

// idempotencyTTL is how long an answer is kept for replay.
const idempotencyTTL = 24 * time.Hour

// purgeEvery is how often an instance deletes expired idempotency records.
const purgeEvery = time.Hour

// replayedHeaders are the response headers kept with an idempotent answer.
var replayedHeaders = []string{echo.HeaderLocation, "ETag"}

// errNotStored rolls back an idempotent request whose answer is an error: it wrote nothing.
var errNotStored = errors.New("the answer is an error and is not stored")

// errInFlight says another transaction holds the idempotency scope.
var errInFlight = errors.New("a request with this Idempotency-Key is in flight")

// crashHook, when set (by tests only), is called at "before-commit" and "after-commit" of an
// idempotent request, to simulate a crash there.
var crashHook atomic.Pointer[func(ctx context.Context, stage string)]

func crashPoint(ctx context.Context, stage string) {
	if hook := crashHook.Load(); hook != nil {
		(*hook)(ctx, stage)
	}
}

// secretAnswerKey marks, on the echo context, an answer that holds a secret.
const secretAnswerKey = "idempotency.secret"

// answerHoldsSecret tells the idempotency middleware that the answer holds a secret, which must
// not be stored.
func answerHoldsSecret(c echo.Context) { c.Set(secretAnswerKey, true) }

func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		values, sent := req.Header[http.CanonicalHeaderKey("Idempotency-Key")]
		if req.Method != http.MethodPost || !sent {
			return next(c)
		}
		switch {
		case len(values) != 1:
			return badRequest("Idempotency-Key", "must be sent once")
		case strings.TrimSpace(values[0]) == "":
			return badRequest("Idempotency-Key", "must not be empty")
		case len(values[0]) > 255:
			return badRequest("Idempotency-Key", "must be at most 255 characters")
		}
		fingerprint, err := hashBody(c)
		if err != nil {
			return err
		}
		p := principal(c)
		rec := experiments.IdempotencyRecord{WorkspaceID: p.WorkspaceID, APIKeyID: p.KeyID, Method: req.Method,
			Path: req.URL.Path, Query: req.URL.RawQuery, Key: values[0], Fingerprint: fingerprint}
		rec.Scope = idempotencyScope(rec)
		if !s.inflight.claim(rec.Scope) {
			return inFlight(c)
		}
		defer s.inflight.release(rec.Scope)
		err = s.runOnce(c, next, rec)
		s.purgeExpired(req.Context())
		return err
	}
}

// idempotencyScope hashes what a key is scoped by, with separators no part can contain
// unescaped (NUL is refused in paths, queries and headers).
func idempotencyScope(rec experiments.IdempotencyRecord) string {
	h := sha256.New()
	for _, part := range []string{rec.WorkspaceID, rec.APIKeyID, rec.Method, rec.Path, rec.Query, rec.Key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runOnce runs the request in one transaction with the record of its answer, or replays the
// answer stored under its scope.
func (s *Server) runOnce(c echo.Context, next echo.HandlerFunc, rec experiments.IdempotencyRecord) error {
	req, res := c.Request(), c.Response()
	headers := res.Header().Clone()
	buf := &bufferedWriter{ResponseWriter: res.Writer}
	res.Writer = buf
	defer func() {
		if r := recover(); r != nil { // the panic's answer must reach the client, not the buffer
			res.Writer = buf.ResponseWriter
			resetResponse(res, headers)
			panic(r)
		}
	}()
	var prior *experiments.IdempotencyRecord
	err := s.svc.Store().Tx(req.Context(), func(tx experiments.Tx) error {
		held, err := tx.LockIdempotency(rec.Scope)
		if err != nil {
			return err
		}
		if !held {
			return errInFlight
		}
		prior, err = tx.IdempotencyRecord(rec.Scope, s.svc.Now().Add(-idempotencyTTL))
		if err != nil || prior != nil {
			return err
		}
		c.SetRequest(req.WithContext(experiments.WithTx(req.Context(), tx)))
		defer c.SetRequest(req)
		if err := next(c); err != nil {
			c.Error(err)
		}
		if res.Status < 200 || res.Status > 299 {
			return errNotStored
		}
		if err := tx.SaveIdempotency(s.answer(c, rec, buf)); err != nil {
			return err
		}
		crashPoint(req.Context(), "before-commit")
		return nil
	})
	res.Writer = buf.ResponseWriter
	switch {
	case err == nil && prior == nil, errors.Is(err, errNotStored):
		if err == nil {
			crashPoint(req.Context(), "after-commit")
		}
		return buf.send()
	}
	// The handler's answer, if any, is not the one to send: start the response again.
	resetResponse(res, headers)
	switch {
	case errors.Is(err, errInFlight):
		return inFlight(c)
	case err != nil:
		return fmt.Errorf("idempotent request: %w", err)
	}
	return replay(c, prior, rec.Fingerprint)
}

// answer is the record of the answer the handler rendered into buf, its secret removed.
func (s *Server) answer(c echo.Context, rec experiments.IdempotencyRecord, buf *bufferedWriter) experiments.IdempotencyRecord {
	res := c.Response()
	rec.Status, rec.ContentType, rec.Body = res.Status, res.Header().Get(echo.HeaderContentType), buf.body.Bytes()
	rec.CreatedAt = s.svc.Now()
	rec.Headers = map[string]string{}
	for _, h := range replayedHeaders {
		if v := res.Header().Get(h); v != "" {
			rec.Headers[h] = v
		}
	}
	if secret, _ := c.Get(secretAnswerKey).(bool); secret {
		rec.Redacted, rec.Body = true, withoutSecret(rec.Body)
	}
	return rec
}

// withoutSecret keeps only the id of a created key: enough to name it in a refusal.
func withoutSecret(body []byte) []byte {
	var created struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &created) // an answer without an id stores an empty one
	b, _ := json.Marshal(created)
	return b
}

func replay(c echo.Context, prior *experiments.IdempotencyRecord, fingerprint string) error {
	if prior.Fingerprint != fingerprint {
		return experiments.Invalid(experiments.FieldError{Field: "Idempotency-Key",
			Message: "was already used with a different request (body or content type); use a new key"})
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	if prior.Redacted {
		return refuseSecretReplay(c, prior)
	}
	for name, value := range prior.Headers {
		c.Response().Header().Set(name, value)
	}
	if prior.Body == nil {
		return c.NoContent(prior.Status)
	}
	return c.Blob(prior.Status, prior.ContentType, prior.Body)
}

// refuseSecretReplay answers a repeated key creation: the key exists, but its secret was shown
// once, in the first answer, and is stored nowhere.
func refuseSecretReplay(c echo.Context, prior *experiments.IdempotencyRecord) error {
	var created struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(prior.Body, &created)
	p := newProblem(http.StatusConflict, fmt.Sprintf("this Idempotency-Key already created API key %s; its secret "+
		"is shown only in the first answer and is never stored. Use that answer's secret, or revoke the key "+
		"(DELETE /v1/keys/%s) and create another", created.ID, created.ID), nil)
	p.Type = "/problems/secret-not-replayed"
	return writeProblem(c, p)
}

// inFlight answers a repeat of a request that is still being processed.
func inFlight(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return writeProblem(c, newProblem(http.StatusConflict,
		"a request with this Idempotency-Key is still being processed; retry after Retry-After seconds", nil))
}

// resetResponse forgets what a handler wrote into a buffered response that will not be sent.
func resetResponse(res *echo.Response, headers http.Header) {
	for name := range res.Header() {
		delete(res.Header(), name)
	}
	for name, values := range headers {
		res.Header()[name] = values
	}
	res.Status, res.Size, res.Committed = 0, 0, false
}

// bufferedWriter holds an answer back until its transaction has committed. It shares the
// headers of the writer it wraps.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// send writes the held answer to the client.
func (w *bufferedWriter) send() error {
	if w.status == 0 {
		return nil
	}
	w.ResponseWriter.WriteHeader(w.status)
	if _, err := w.ResponseWriter.Write(w.body.Bytes()); err != nil {
		return fmt.Errorf("send answer: %w", err)
	}
	return nil
}

// inflightSet holds the idempotency scopes this instance is working on.
type inflightSet struct {
	mu     sync.Mutex
	scopes map[string]struct{}
}

func (f *inflightSet) claim(scope string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.scopes[scope]; busy {
		return false
	}
	if f.scopes == nil {
		f.scopes = map[string]struct{}{}
	}
	f.scopes[scope] = struct{}{}
	return true
}

func (f *inflightSet) release(scope string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.scopes, scope)
}

// purgeExpired deletes expired idempotency records, at most once per purgeEvery per instance.
// It runs after the answer is written, in the request that finds the last purge old enough.
func (s *Server) purgeExpired(ctx context.Context) {
	now := s.svc.Now()
	s.purgeMu.Lock()
	due := now.Sub(s.lastPurge) >= purgeEvery
	if due {
		s.lastPurge = now
	}
	s.purgeMu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var n int64
	err := s.svc.Store().Tx(ctx, func(tx experiments.Tx) (err error) {
		n, err = tx.PurgeIdempotency(now.Add(-idempotencyTTL))
		return err
	})
	if err != nil {
		s.logger.WarnContext(ctx, "purge expired idempotency keys", "error", err)
		return
	}
	s.logger.DebugContext(ctx, "purged expired idempotency keys", "count", n)
}

// spoolThreshold is the body size above which the body is kept in a temporary file rather
// than in memory while it is hashed (imports may be 100 MiB).
const spoolThreshold = 1 << 20

// hashBody hashes the request's content type and body, and puts an equivalent, unread body
// back in its place.
func hashBody(c echo.Context) (string, error) {
	req := c.Request()
	h := sha256.New()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(req.Header.Get(echo.HeaderContentType)))))
	h.Write([]byte{0})
	var mem bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &mem), io.LimitReader(req.Body, spoolThreshold))
	if err != nil {
		return "", readError(err)
	}
	if n < spoolThreshold {
		req.Body = io.NopCloser(&mem)
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	f, err := os.CreateTemp("", "postlab-body-*")
	if err != nil {
		return "", fmt.Errorf("spool body: %w", err)
	}
	os.Remove(f.Name()) // unlinked: the file goes away when closed
	if _, err := io.Copy(io.MultiWriter(h, f), io.MultiReader(&mem, req.Body)); err != nil {
		f.Close()
		return "", readError(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return "", fmt.Errorf("spool body: %w", err)
	}
	req.Body = f
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readError(err error) error {
	if slow := tooSlow(err); slow != nil {
		return slow
	}
	if isTooLarge(err) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return badRequest("body", "could not be read")
}
