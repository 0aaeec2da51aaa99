package importer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzReader feeds any bytes to every format: NewReader and Next must never panic, and every
// row they let through must satisfy the rules the writer relies on.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("\uFEFF\"Time\",\"Video link\"\n\"9月16日\",https://tiktok.com/@a/video/7453531772570778701\n"))
	f.Add([]byte(`{"external_id":"1","posted_at":"2026-09-14T17:05:00Z","observed_at":"2026-09-15T17:05:00Z","custom":{"a":1}}`))
	f.Add([]byte("external_id,posted_at,observed_at\n\"1\n"))
	opts := Options{ObservedAt: time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC), Platform: "tiktok", Account: "acct", Timezone: "Europe/Zurich"}
	formats := append([]Format{""}, Formats...)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range formats {
			opts.Format = format
			r, err := NewReader(bytes.NewReader(data), opts)
			if err != nil {
				continue
			}
			for i := 0; ; i++ {
				if i > len(data)+2 {
					t.Fatalf("format %q: more rows than lines", format)
				}
				row, err := r.Next()
				var re *RowError
				var fe *FileError
				switch {
				case err == io.EOF, errors.As(err, &fe):
				case errors.As(err, &re):
					if re.Line < 1 || re.Reason == "" {
						t.Fatalf("format %q: row error %+v", format, re)
					}
					continue
				case err != nil:
					t.Fatalf("format %q: unexpected error %v", format, err)
				default:
					checkInvariants(t, format, row.Line, row.Post.ExternalID, row.Post.Account, row.Post.PostedAt, row.Snapshot.ObservedAt,
						row.Snapshot.Views, row.Snapshot.Likes, row.Snapshot.Comments, row.Snapshot.Shares, row.Snapshot.Saves)
					if c := row.Snapshot.CompletionRate; c != nil && (*c < 0 || *c > 1) {
						t.Fatalf("format %q: completion_rate %v", format, *c)
					}
					continue
				}
				break
			}
		}
	})
}

func checkInvariants(t *testing.T, format Format, line int, id, account string, posted, observed time.Time, counts ...*int64) {
	t.Helper()
	switch {
	case line < 1:
		t.Fatalf("format %q: row line %d", format, line)
	case id == "" || account == "":
		t.Fatalf("format %q: line %d: empty external_id or account", format, line)
	case posted.IsZero() || observed.IsZero() || observed.Before(posted):
		t.Fatalf("format %q: line %d: posted %s, observed %s", format, line, posted, observed)
	}
	for _, c := range counts {
		if c != nil && *c < 0 {
			t.Fatalf("format %q: line %d: negative count %d", format, line, *c)
		}
	}
}
