package experiments

import (
	"context"
	"time"
)

// Reader is what a read model built on the domain (the report, planning) starts from: the store
// it reads through, one transaction per answer, and the clock that dates its answers.
type Reader struct {
	store Store
	now   func() time.Time
}

// NewReader returns a Reader on store. now is the clock; nil means time.Now.
func NewReader(store Store, now func() time.Time) Reader {
	if now == nil {
		now = time.Now
	}
	return Reader{store: store, now: now}
}

// Now returns the clock's current time in UTC.
func (r Reader) Now() time.Time { return r.now().UTC() }

// Snapshot runs fn, which only reads, in one read-only store transaction.
func (r Reader) Snapshot(ctx context.Context, fn func(Tx) error) error {
	return r.store.Snapshot(ctx, fn)
}

// Tx runs fn in one store transaction.
func (r Reader) Tx(ctx context.Context, fn func(Tx) error) error { return r.store.Tx(ctx, fn) }
