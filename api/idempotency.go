package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// replayedHeaders are the response headers kept with an idempotent answer.
var replayedHeaders = []string{echo.HeaderLocation, "ETag"}

// idempotency makes a POST carrying an Idempotency-Key answer once: the same key and body
// replay the first answer and write nothing again; a different body is 422; a repeat while
// the first is still in flight is 409. Keys are scoped by workspace, method and path.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if c.Request().Method != http.MethodPost || key == "" {
			return next(c)
		}
		if len(key) > 255 {
			return badRequest("Idempotency-Key", "must be at most 255 characters")
		}
		hash, err := hashBody(c)
		if err != nil {
			return err
		}
		p := principal(c)
		rec := experiments.IdempotencyRecord{WorkspaceID: p.WorkspaceID, Key: key, Method: http.MethodPost,
			Path: c.Request().URL.Path, RequestHash: hash, CreatedAt: s.svc.Now()}
		var prior *experiments.IdempotencyRecord
		err = s.svc.Store().Tx(c.Request().Context(), func(tx experiments.Tx) (err error) {
			prior, err = tx.ClaimIdempotency(rec)
			if err != nil || !s.abandoned(prior) {
				return err
			}
			// The first request died without an answer (a crash outlives no request timeout):
			// this one takes its place.
			if err := tx.ReleaseIdempotency(*prior); err != nil {
				return err
			}
			prior, err = tx.ClaimIdempotency(rec)
			return err
		})
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if prior != nil {
			return replay(c, prior, hash)
		}
		return s.runAndRemember(c, next, rec)
	}
}

// abandoned reports whether a claim is still "in flight" long after any request could be.
func (s *Server) abandoned(prior *experiments.IdempotencyRecord) bool {
	return prior != nil && prior.Status == 0 && s.svc.Now().Sub(prior.CreatedAt) > s.opts.RequestTimeout+time.Minute
}

func replay(c echo.Context, prior *experiments.IdempotencyRecord, hash string) error {
	switch {
	case prior.RequestHash != hash:
		return experiments.Invalid(experiments.FieldError{Field: "Idempotency-Key",
			Message: "was already used with a different request body; use a new key"})
	case prior.Status == 0:
		return experiments.Errorf(experiments.ECONFLICT, "a request with this Idempotency-Key is still being processed; retry shortly")
	}
	for name, value := range prior.Headers {
		c.Response().Header().Set(name, value)
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	if prior.Body == nil {
		return c.NoContent(prior.Status)
	}
	return c.Blob(prior.Status, prior.ContentType, prior.Body)
}

// runAndRemember runs the handler, rendering its error here so the answer can be recorded;
// a server error forgets the claim so that the client may retry.
func (s *Server) runAndRemember(c echo.Context, next echo.HandlerFunc, rec experiments.IdempotencyRecord) error {
	var body bytes.Buffer
	res := c.Response()
	res.Writer = &teeWriter{ResponseWriter: res.Writer, buf: &body}
	if err := next(c); err != nil {
		c.Error(err)
	}
	// The client's request may be gone; the record must still be written.
	ctx := context.WithoutCancel(c.Request().Context())
	err := s.svc.Store().Tx(ctx, func(tx experiments.Tx) error {
		if res.Status >= 500 {
			return tx.ReleaseIdempotency(rec)
		}
		rec.Status, rec.ContentType, rec.Body = res.Status, res.Header().Get(echo.HeaderContentType), body.Bytes()
		rec.Headers = map[string]string{}
		for _, h := range replayedHeaders {
			if v := res.Header().Get(h); v != "" {
				rec.Headers[h] = v
			}
		}
		return tx.CompleteIdempotency(rec)
	})
	if err != nil {
		s.logger.Error("record idempotent answer", "error", err)
	}
	return nil
}

type teeWriter struct {
	http.ResponseWriter
	buf *bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// spoolThreshold is the body size above which the body is kept in a temporary file rather
// than in memory while it is hashed (imports may be 100 MiB).
const spoolThreshold = 1 << 20

// hashBody hashes the request body and puts an equivalent, unread body back in its place.
func hashBody(c echo.Context) (string, error) {
	req := c.Request()
	h := sha256.New()
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
	if isTooLarge(err) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return badRequest("body", "could not be read")
}
