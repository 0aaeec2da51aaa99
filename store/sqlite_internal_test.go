package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"postlab/experiments"
)

// TestSQLitePragmas checks that every SQLite connection runs with the settings the store relies
// on, inside transactions too.
func TestSQLitePragmas(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "pragmas.db"), nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer db.Close()
	want := map[string]string{"foreign_keys": "1", "journal_mode": "wal", "busy_timeout": "10000"}
	err = db.Tx(context.Background(), func(etx experiments.Tx) error {
		g := etx.(*tx).db
		for pragma, value := range want {
			var got string
			if err := g.Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil {
				return err
			}
			if got != value {
				t.Errorf("PRAGMA %s = %q, want %q", pragma, got, value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := db.sql.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("SQLite MaxOpenConnections = %d, want 1", got)
	}
}

// TestSQLiteTimesOnDisk pins how times are stored in an SQLite file: text in SQLite's own
// form, which both pools read back, as they read what earlier versions of postlab wrote.
func TestSQLiteTimesOnDisk(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "times.db"), nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer db.Close()
	if err := db.gorm.Exec("CREATE TABLE stamps (id INTEGER PRIMARY KEY, at DATETIME NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 14, 17, 5, 0, 123456000, time.UTC)
	if err := db.gorm.Exec("INSERT INTO stamps (id, at) VALUES (1, ?)", at).Error; err != nil {
		t.Fatal(err)
	}
	var text string
	if err := db.gorm.Raw("SELECT CAST(at AS TEXT) FROM stamps WHERE id = 1").Scan(&text).Error; err != nil {
		t.Fatal(err)
	}
	if want := "2026-09-14 17:05:00.123456+00:00"; text != want {
		t.Errorf("stored %q, want %q", text, want)
	}
	// Written by earlier versions: with and without a fraction of a second.
	earlier := map[int]time.Time{
		2: time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.UTC),
		3: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	if err := db.gorm.Exec("INSERT INTO stamps (id, at) VALUES (2, '2025-01-02 03:04:05.6+00:00'), " +
		"(3, '2025-01-02 03:04:05+00:00')").Error; err != nil {
		t.Fatal(err)
	}
	earlier[1] = at
	for name, pool := range map[string]*gorm.DB{"write pool": db.gorm, "read pool": db.read} {
		for id, want := range earlier {
			var got time.Time
			if err := pool.Raw("SELECT at FROM stamps WHERE id = ?", id).Row().Scan(&got); err != nil {
				t.Fatalf("%s, row %d: %v", name, id, err)
			}
			if !got.Equal(want) {
				t.Errorf("%s, row %d: read %v, want %v", name, id, got, want)
			}
		}
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct{ path, want string }{
		{"./postlab.db", "./postlab.db?" + sqliteParams},
		{"file:data.db?cache=private", "file:data.db?cache=private&" + sqliteParams},
	}
	for _, tt := range tests {
		if got := sqliteDSN(tt.path); got != tt.want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestRefsByPlatform(t *testing.T) {
	refs := []experiments.ExternalRef{
		{Platform: "tiktok", ExternalID: "1"}, {Platform: "tiktok", ExternalID: "2"},
		{Platform: "tiktok", ExternalID: "3"}, {Platform: "x", ExternalID: "1"}, {Platform: "tiktok", ExternalID: "1"},
	}
	got := refsByPlatform(refs)
	want := map[string][]string{"tiktok": {"1", "2", "3"}, "x": {"1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refsByPlatform mismatch (-want +got):\n%s", diff)
	}
}

func TestPgTextArray(t *testing.T) {
	got := pgTextArray([]string{"a", `say "hi"`, `back\slash`, ""})
	want := `{"a","say \"hi\"","back\\slash",""}`
	if got != want {
		t.Errorf("pgTextArray = %s, want %s", got, want)
	}
}
