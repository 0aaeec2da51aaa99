package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"postlab/experiments"
)

// DefaultTimeout is how long a transaction may wait for the database to answer (for a
// connection, or for any one statement) before the request fails with experiments.ErrUnavailable.
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

// watchdog cancels a transaction's context when no statement has completed for its timeout:
// a bound on waiting for each answer (a connection from the pool, a dial, each statement)
// rather than on the whole transaction, so a long import that keeps the database busy is not
// cut off, while a database that stops answering is noticed within the timeout.
type watchdog struct {
	timeout time.Duration
	timer   *time.Timer
}

type watchdogKey struct{}

// withWatchdog returns ctx with a watchdog and its stop function, which must be called.
func withWatchdog(ctx context.Context, timeout time.Duration) (context.Context, func()) {
	if timeout <= 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{timeout: timeout}
	w.timer = time.AfterFunc(timeout, func() { cancel(errNoAnswer) })
	ctx = context.WithValue(ctx, watchdogKey{}, w)
	return ctx, func() {
		w.timer.Stop()
		cancel(nil)
	}
}

// kickWatchdog restarts the timeout of ctx's watchdog, if it has one: a statement has answered.
func kickWatchdog(ctx context.Context) {
	if w, ok := ctx.Value(watchdogKey{}).(*watchdog); ok {
		w.timer.Reset(w.timeout)
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
