package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"postlab/experiments"
	"postlab/store"
	"postlab/store/storetest"
)

func TestTxRunsDeadlockedTransactionsAgain(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ws := seedWorkspace(t, db)
		for _, code := range []string{"40P01", "40001"} {
			attempts := 0
			err := db.Tx(context.Background(), func(tx experiments.Tx) error {
				attempts++
				if _, err := tx.WorkspaceByID(ws.ID); err != nil {
					return err
				}
				if attempts < 3 {
					return &pgconn.PgError{Code: code, Message: "aborted to break a conflict"}
				}
				return nil
			})
			if err != nil || attempts != 3 {
				t.Errorf("%s twice, then success: Tx() = %v after %d attempts, want nil after 3", code, err, attempts)
			}
		}
		attempts := 0
		err := db.Tx(context.Background(), func(experiments.Tx) error {
			attempts++
			return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || attempts < 2 || attempts > 10 {
			t.Errorf("a deadlock every time: Tx() = %v after %d attempts, want the deadlock after a bounded number of attempts", err, attempts)
		}
		attempts = 0
		_ = db.Tx(context.Background(), func(experiments.Tx) error {
			attempts++
			return experiments.Errorf(experiments.ECONFLICT, "a conflict of the request itself")
		})
		if attempts != 1 {
			t.Errorf("a domain error was run %d times, want once", attempts)
		}
	})
}

func TestTxGivesUpOnADatabaseThatDoesNotAnswer(t *testing.T) {
	db := storetest.Open(t, store.DialectPostgres)
	db.SetTimeout(300 * time.Millisecond)
	began := time.Now()
	err := db.Tx(context.Background(), func(tx experiments.Tx) error {
		return store.ExecInTx(tx, "SELECT pg_sleep(5)")
	})
	took := time.Since(began)
	if !errors.Is(err, experiments.ErrUnavailable) || experiments.ErrorCode(err) != experiments.EUNAVAILABLE {
		t.Errorf("a statement that does not answer: Tx() = %v, want ErrUnavailable", err)
	}
	if took > 3*time.Second {
		t.Errorf("a statement that does not answer failed after %s, want about the 300ms timeout", took)
	}
	// The pool recovers: the next transaction works.
	ws := seedWorkspace(t, db)
	inTx(t, db, func(tx experiments.Tx) error {
		_, err := tx.WorkspaceByID(ws.ID)
		return err
	})
}

func TestTxReportsALostConnectionAsUnavailable(t *testing.T) {
	db := storetest.Open(t, store.DialectPostgres)
	err := db.Tx(context.Background(), func(tx experiments.Tx) error {
		return store.ExecInTx(tx, "SELECT pg_terminate_backend(pg_backend_pid())")
	})
	if !errors.Is(err, experiments.ErrUnavailable) {
		t.Errorf("a connection killed by the server: Tx() = %v, want ErrUnavailable", err)
	}
	ws := seedWorkspace(t, db)
	inTx(t, db, func(tx experiments.Tx) error {
		_, err := tx.WorkspaceByID(ws.ID)
		return err
	})
}
