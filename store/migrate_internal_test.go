package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"postlab/experiments"
	"postlab/migrations"
)

// TestPlansMigration checks that an experiment stored before plans existed migrates without
// one (its report says it is unplanned), and that a plan round-trips after the migration.
func TestPlansMigration(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"), nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer db.Close()
	fsys, err := migrations.FS(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.sql, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatalf("migrate to version 2: %v", err)
	}
	for _, stmt := range []string{
		`INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'old', '2026-01-01 00:00:00+00:00')`,
		`INSERT INTO experiments (id, workspace_id, key, name, platform, status, primary_metric, horizon_hours,
			horizon_tolerance, alpha, correction, mde, created_at, updated_at, started_at)
		 VALUES ('e', 'w', 'old', 'Old', 'tiktok', 'running', 'views', 24, 0.25, 0.05, 'holm', 0.2,
			'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2026-01-02 00:00:00+00:00')`,
	} {
		if _, err := db.sql.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("seed the old schema: %v", err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate() = %v", err)
	}
	err = db.Tx(ctx, func(tx experiments.Tx) error {
		e, err := tx.GetExperiment("w", "old", true)
		if err != nil {
			return err
		}
		if e.PlannedPostsPerVariant != nil {
			t.Errorf("migrated experiment: planned_posts_per_variant = %d, want none", *e.PlannedPostsPerVariant)
		}
		n := 120
		e.PlannedPostsPerVariant = &n
		if err := tx.UpdateExperiment(e); err != nil {
			return err
		}
		e, err = tx.GetExperiment("w", "old", false)
		if err != nil || e.PlannedPostsPerVariant == nil || *e.PlannedPostsPerVariant != 120 {
			t.Errorf("after setting a plan of 120: %v, %v", e.PlannedPostsPerVariant, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The migration can be rolled back and applied again.
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("roll back to version 2: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
}
