package experiments

import "context"

type txKey struct{}

// WithTx returns a context that carries tx. A Store's Tx called with that context (or one
// derived from it) joins tx instead of beginning a transaction of its own: its work commits or
// rolls back with tx. The HTTP layer uses it to commit a request's writes together with the
// record of its answer (idempotency); tx must not be used after it has ended.
func WithTx(ctx context.Context, tx Tx) context.Context { return context.WithValue(ctx, txKey{}, tx) }

// TxFrom returns the transaction ctx carries, if any.
func TxFrom(ctx context.Context) (Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(Tx)
	return tx, ok
}
