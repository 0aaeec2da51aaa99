package store

import "postlab/experiments"

// ExecInTx runs a statement in tx, for tests that need the database to misbehave.
func ExecInTx(t experiments.Tx, statement string) error { return t.(*tx).db.Exec(statement).Error }
