package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"postlab/experiments"
)

// BodyReadLimits bound how slowly a client may send a request body: its first bytes within
// Idle, no pause longer than Idle, and on average at least MinRate bytes a second (after a
// grace of Idle). A large import at a reasonable pace always fits; a client trickling a body
// to hold a connection open is cut off.
type BodyReadLimits struct {
	MinRate int64         // bytes per second, on average over the whole body
	Idle    time.Duration // the longest wait for the next bytes
}

// DefaultBodyReadLimits allow a 100 MiB import at 64 KiB/s, about 27 minutes.
var DefaultBodyReadLimits = BodyReadLimits{MinRate: 64 << 10, Idle: 30 * time.Second}

// WithBodyReadLimits wraps h so that every request body is read under limits, by moving the
// connection's read deadline as the bytes arrive (the server's ReadTimeout would be one
// deadline for every body, too short for a large import or too long for a small one).
func WithBodyReadLimits(h http.Handler, limits BodyReadLimits) http.Handler {
	if limits.Idle <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		b := &deadlineBody{body: r.Body, rc: rc, limits: limits, start: time.Now()}
		if b.extend(0) != nil {
			h.ServeHTTP(w, r) // this connection cannot take deadlines (HTTP/2 test servers)
			return
		}
		// Once the body is read to its end, the deadline is cleared (see Read). A body the
		// handler left unread keeps its deadline after the handler returns: net/http then reads
		// what is left of a small body before it writes the answer, and that read must not wait
		// for a client that has stalled. (It ends in the deadline, and net/http closes the
		// connection; the next request on a kept connection gets the server's own deadlines.)
		r.Body = b
		h.ServeHTTP(w, r)
	})
}

// tooSlow is the answer to a body cut off by its read deadline (os.ErrDeadlineExceeded), or
// nil for any other read error.
func tooSlow(err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return &requestError{status: http.StatusRequestTimeout,
		detail: "the body came too slowly and was cut off; send it again on a faster connection",
		fields: []experiments.FieldError{{Field: "body", Message: "arrived too slowly"}}}
}

type deadlineBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	limits BodyReadLimits
	start  time.Time
	read   int64
	done   bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.read += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			b.clear()
		}
		return n, err
	}
	if derr := b.extend(b.read); derr != nil {
		b.clear()
	}
	return n, nil
}

// extend sets the deadline for the next bytes: Idle from now, but no later than the body's
// average rate allows.
func (b *deadlineBody) extend(read int64) error {
	if b.done {
		return nil
	}
	now := time.Now()
	deadline := now.Add(b.limits.Idle)
	if b.limits.MinRate > 0 {
		byRate := b.start.Add(b.limits.Idle + time.Duration(float64(read)/float64(b.limits.MinRate)*float64(time.Second)))
		if byRate.Before(deadline) {
			deadline = byRate
		}
	}
	return b.rc.SetReadDeadline(deadline)
}

func (b *deadlineBody) clear() {
	if !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}

func (b *deadlineBody) Close() error { return b.body.Close() }
