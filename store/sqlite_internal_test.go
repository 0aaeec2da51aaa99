package store

import (
	"context"
	"github.com/google/go-cmp/cmp"
	"path/filepath"
	"testing"

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
