package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"postlab/experiments"
)

// DefaultTimeout is how long a transaction on PostgreSQL may wait for a database that does not
// answer at all (for a connection, or for any one statement) before the request fails with
// experiments.ErrUnavailable; a statement the server is working on may take slowFactor times it.
const DefaultTimeout = 5 * time.Second

// PostgreSQL aborts one of two transactions that deadlock (40P01) or that conflict under
// serializable isolation (40001); run again, the survivor has gone and it goes through. Tx
// runs such a transaction up to txAttempts times, waiting a jittered, doubling pause between
// attempts so that the transactions that clashed do not clash again in lockstep.
const (
	txAttempts    = 5
	txRetryPause  = 10 * time.Millisecond
	txRetryJitter = 0.5 // each pause is drawn from [1 − jitter, 1] × its nominal length
)

// errNoAnswer is the cause a transaction's context is cancelled with when the database has
// not answered within the timeout.
var errNoAnswer = errors.New("the database did not answer in time")

// slowFactor bounds a statement that the server is still working on, or that waits for locks
// held by other transactions, at slowFactor times the timeout: such a database answers, but a
// request must still end.
const slowFactor = 6

// probeFresh is how long the outcome of a liveness probe stands for every watchdog that asks.
const probeFresh = 250 * time.Millisecond

// prober asks the server, on a connection of its own, whether it answers at all: what tells a
// statement that is merely slow (or waits its turn for a lock) from a server that is gone or
// whose connection has gone silent.
type prober struct {
	db      *sql.DB
	timeout time.Duration
	mu      sync.Mutex
	checked time.Time
	ok      bool
}

// alive pings the server (at most once per probeFresh, whoever asks) within the probe's timeout.
func (p *prober) alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.checked) < probeFresh {
		return p.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	p.ok = p.db.PingContext(ctx) == nil
	p.checked = time.Now()
	return p.ok
}

// watchdog cancels a transaction's context when the database has not answered (a connection
// from the pool, a dial, any statement) for the timeout and a probe finds it silent too, or
// when nothing has answered for slowFactor times the timeout. It bounds each wait rather than
// the whole transaction, so a long import that keeps the database busy is not cut off.
type watchdog struct {
	timeout time.Duration
	probe   *prober
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	mu      sync.Mutex
	last    time.Time // when the database last answered
}

type watchdogKey struct{}

// withWatchdog returns ctx with a watchdog and its stop function, which must be called. It
// looks every half timeout, and probes with the other half, so that a silent database is
// noticed within the timeout.
func withWatchdog(ctx context.Context, timeout time.Duration, probe *prober) (context.Context, func()) {
	if timeout <= 0 || probe == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{timeout: timeout, probe: probe, cancel: cancel, last: time.Now()}
	w.timer = time.AfterFunc(timeout/2, w.check)
	ctx = context.WithValue(ctx, watchdogKey{}, w)
	return ctx, func() {
		w.timer.Stop()
		cancel(nil)
	}
}

func (w *watchdog) check() {
	w.mu.Lock()
	quiet := time.Since(w.last)
	w.mu.Unlock()
	switch {
	case quiet < w.timeout/2:
	case quiet >= slowFactor*w.timeout || !w.probe.alive():
		w.cancel(errNoAnswer)
		return
	}
	w.timer.Reset(w.timeout / 2)
}

// kickWatchdog tells ctx's watchdog, if it has one, that the database has answered.
func kickWatchdog(ctx context.Context) {
	if w, ok := ctx.Value(watchdogKey{}).(*watchdog); ok {
		w.mu.Lock()
		w.last = time.Now()
		w.mu.Unlock()
	}
}

// retryable reports whether err is PostgreSQL's deadlock or serialization failure.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// retryPause is the pause before attempt (2, 3, …).
func retryPause(attempt int) time.Duration {
	d := txRetryPause << (attempt - 2)
	return time.Duration(float64(d) * (1 - txRetryJitter*rand.Float64()))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unavailable reports whether err says that the database cannot be reached or did not answer,
// as opposed to refusing what was asked: the connection was refused, reset or cut, the server
// is shutting down or starting up, or the watchdog gave up waiting (ctx's cause).
func unavailable(ctx context.Context, err error) bool {
	var domain *experiments.Error
	if err == nil || errors.As(err, &domain) {
		return false
	}
	if errors.Is(context.Cause(ctx), errNoAnswer) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: shutting down, crashed, starting up;
		// 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}

// asUnavailable marks err as experiments.ErrUnavailable, keeping it in the chain for the log.
func asUnavailable(err error) error {
	return fmt.Errorf("%w: %w", experiments.ErrUnavailable, err)
}
