package importer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"postlab/experiments"
)

// sameTime compares instants and their written offsets: posted_at keeps the file's offset.
var sameTime = cmp.Comparer(func(a, b time.Time) bool {
	return a.Equal(b) && a.Format(time.RFC3339Nano) == b.Format(time.RFC3339Nano)
})

func n(v int64) *int64       { return &v }
func f64(v float64) *float64 { return &v }

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readAll reads every row of a file, failing the test on a fatal error.
func readAll(t *testing.T, r io.Reader, opts Options) (*Reader, []experiments.ImportRow, []RowError) {
	t.Helper()
	rd, err := NewReader(r, opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []experiments.ImportRow
	var fails []RowError
	for {
		row, err := rd.Next()
		var re *RowError
		switch {
		case err == io.EOF:
			return rd, rows, fails
		case errors.As(err, &re):
			fails = append(fails, *re)
		case err != nil:
			t.Fatalf("Next: fatal error after %d rows: %v", len(rows), err)
		default:
			rows = append(rows, row)
		}
	}
}

func readFile(t *testing.T, name string, opts Options) (*Reader, []experiments.ImportRow, []RowError) {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	return readAll(t, fh, opts)
}

func checkRows(t *testing.T, got, want []experiments.ImportRow) {
	t.Helper()
	if diff := cmp.Diff(want, got, sameTime); diff != "" {
		t.Errorf("rows differ (-want +got):\n%s", diff)
	}
}

func checkFails(t *testing.T, got, want []RowError) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row errors differ (-want +got):\n%s", diff)
	}
}

func TestDetect(t *testing.T) {
	obs := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file string
		want       Format
	}{
		{"ndjson", "generic.ndjson", FormatNDJSON},
		{"generic csv", "generic.csv", FormatCSV},
		{"tiktok with BOM", "tiktok_en.csv", FormatTikTok},
		{"tiktok", "tiktok_es.csv", FormatTikTok},
		{"instagram with BOM", "instagram.csv", FormatInstagram},
		{"facebook", "facebook.csv", FormatFacebook},
		{"semicolons", "generic_semicolon.csv", FormatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			r, err := NewReader(fh, Options{ObservedAt: obs, Platform: "tiktok"})
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			if got := r.Format(); got != tt.want {
				t.Errorf("Format() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewReaderErrors(t *testing.T) {
	obs := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	generic := "external_id,account,platform,posted_at,observed_at\n"
	tests := []struct {
		name string
		file string
		opts Options
		want string
		line int
	}{
		{"empty", "", Options{}, "the file is empty", 0},
		{"only a BOM", "\uFEFF", Options{}, "the file is empty", 0},
		{"blank lines", "\n \r\n\t\n", Options{}, "the file is empty", 0},
		{"UTF-16", "\xFF\xFEa\x00", Options{}, "the file is UTF-16; export or save it as UTF-8", 0},
		{"JSON array", `[{"external_id":"1"}]`, Options{}, "the file is a JSON array; NDJSON is one JSON object per line", 1},
		{"unknown format", generic, Options{Format: "xml"}, `unknown format "xml": use csv, ndjson, tiktok, instagram or facebook`, 0},
		{"bad timezone", generic, Options{Timezone: "Europe/Atlantis"}, `timezone "Europe/Atlantis" is not an IANA time zone such as Europe/Zurich`, 0},
		{"Local is no zone", generic, Options{Timezone: "Local"}, `timezone "Local" is not an IANA time zone such as Europe/Zurich`, 0},
		{"bad platform", generic, Options{Platform: "myspace"}, `platform "myspace" is not one of tiktok, instagram, youtube, facebook, x, linkedin, threads, other`, 0},
		{"missing columns", "external_id,views\n1,2\n", Options{Platform: "x", Account: "a"},
			"the header lacks the required column(s) posted_at, observed_at (a generic CSV needs external_id, posted_at and observed_at)", 1},
		{"column twice", "external_id,posted_at,observed_at,Views,views\n", Options{Platform: "x", Account: "a"}, `column "views" appears twice`, 1},
		{"bad custom name", "external_id,posted_at,observed_at,custom.1st\n", Options{Platform: "x", Account: "a"},
			`column "custom.1st": custom metric names are lowercase letters, digits and '_'`, 1},
		{"no platform", "external_id,account,posted_at,observed_at\n", Options{},
			"the file has no platform column and no platform was given for the import", 1},
		{"no account", "external_id,platform,posted_at,observed_at\n", Options{},
			"the file has no account column and no account was given for the import", 1},
		{"header not CSV", "external_id,\"posted_at\nx", Options{}, `the header row is not valid CSV: extraneous or missing " in quoted-field`, 2},
		{"meta without export time", "\"Post ID\",\"Account username\",\"Publish time\",\"Permalink\"\n", Options{},
			"a Meta export needs the time it was exported (observed_at): its numbers are lifetime totals at that moment", 0},
		{"meta of no platform", "Post ID,Permalink,Reach\n", Options{ObservedAt: obs},
			`the file looks like a Meta export but has neither "Account username" (Instagram) nor "Page name" (Facebook); give ?format=instagram or ?format=facebook`, 1},
		{"instagram without publish time", "Post ID,Account username,Permalink\n", Options{ObservedAt: obs}, `the header lacks "Publish time"`, 1},
		{"instagram without post id", "Account username,Publish time\n", Options{Format: FormatInstagram, ObservedAt: obs}, `the header lacks "Post ID"`, 1},
		{"facebook without account", "Post ID,Page ID,Publish time,Permalink\n", Options{Format: FormatFacebook, ObservedAt: obs}, "", 0},
		{"instagram without account", "Post ID,Publish time,Permalink\n", Options{Format: FormatInstagram, ObservedAt: obs},
			`the header has no account column ("Account username" or "Page name") and no account was given for the import`, 1},
		{"tiktok forced on a generic file", generic, Options{Format: FormatTikTok}, `the header lacks "Video link"; is this TikTok Studio's Content.csv?`, 1},
		{"tiktok without Time", "Video title,Video link\n", Options{}, `the header lacks "Time", the date of the export`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.file), tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("NewReader(%q) = %v, want no error", tt.file, err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader(%q) = %v, want a *FileError", tt.file, err)
			}
			if fe.Reason != tt.want || fe.Line != tt.line {
				t.Errorf("NewReader(%q) = line %d %q, want line %d %q", tt.file, fe.Line, fe.Reason, tt.line, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": "", "CSV": FormatCSV, " ndjson ": FormatNDJSON, "jsonl": FormatNDJSON,
		"json": FormatNDJSON, "TikTok": FormatTikTok, "instagram": FormatInstagram, "facebook": FormatFacebook} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v, want %q, nil", in, got, err, want)
		}
	}
	var fe *FileError
	if _, err := ParseFormat("xlsx"); !errors.As(err, &fe) {
		t.Errorf("ParseFormat(xlsx) = %v, want a *FileError", err)
	}
}

// A failing body is a fatal error passed through, not a row error.
func TestReadErrorIsFatal(t *testing.T) {
	boom := errors.New("connection reset")
	data, err := os.ReadFile("testdata/generic.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{200, 600} {
		body := io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(boom))
		r, err := NewReader(body, Options{Platform: "tiktok"})
		if err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("NewReader = %v, want %v", err, boom)
			}
			continue
		}
		for {
			_, err := r.Next()
			var re *RowError
			if errors.As(err, &re) || err == nil {
				continue
			}
			if !errors.Is(err, boom) {
				t.Errorf("Next after %d bytes = %v, want %v", cut, err, boom)
			}
			break
		}
	}
	if _, err := NewReader(iotest.ErrReader(boom), Options{}); !errors.Is(err, boom) {
		t.Errorf("NewReader(failing body) = %v, want %v", err, boom)
	}
}

// An unclosed quote must not swallow the rest of a large file into memory.
func TestRecordTooLong(t *testing.T) {
	head := "external_id,account,platform,posted_at,observed_at,caption\n" +
		"1,a,x,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,fine\n" +
		"2,a,x,2026-09-14T17:05:00Z,2026-09-15T17:05:00Z,\"never closed\n"
	body := io.MultiReader(strings.NewReader(head), strings.NewReader(strings.Repeat("more text, on and on\n", 100000)))
	r, err := NewReader(body, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Post.ExternalID != "1" {
		t.Fatalf("Next() = %v, %v, want row 1", row.Post.ExternalID, err)
	}
	_, err = r.Next()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Next() = %v, want a *FileError", err)
	}
	want := FileError{Line: 3, Reason: "the row that starts here is longer than 1 MiB; is a quote left open?"}
	if *fe != want {
		t.Errorf("Next() = %+v, want %+v", *fe, want)
	}
}

func TestNDJSONLongLine(t *testing.T) {
	good := `{"external_id":"1","account":"a","platform":"x","posted_at":"2026-09-14T17:05:00Z","observed_at":"2026-09-15T17:05:00Z"}` + "\n"
	long := `{"external_id":"2","caption":"` + strings.Repeat("a", 2<<20) + "\"}\n"
	_, rows, fails := readAll(t, strings.NewReader(good+long+good), Options{})
	if len(rows) != 2 || rows[1].Line != 3 {
		t.Errorf("rows = %d (last line %d), want 2 (last line 3)", len(rows), rows[len(rows)-1].Line)
	}
	checkFails(t, fails, []RowError{{Line: 2, Reason: "the line is longer than 1 MiB"}})
}

// Two exports joined into one file: the second header is not a row.
func TestRepeatedHeaderSkipped(t *testing.T) {
	data, err := os.ReadFile("testdata/tiktok_es.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, rows, fails := readAll(t, bytes.NewReader(append(append([]byte{}, data...), data...)), Options{})
	if len(rows) != 4 || len(fails) != 2 {
		t.Fatalf("got %d rows, %d errors, want 4 and 2", len(rows), len(fails))
	}
	if rows[2].Line != 6 || fails[1].Line != 8 {
		t.Errorf("second file's lines = %d, %d, want 6, 8", rows[2].Line, fails[1].Line)
	}
}

// A generic file without observed_at takes the export time given with the request.
func TestGenericExportTime(t *testing.T) {
	obs := time.Date(2026, 9, 20, 8, 0, 0, 0, time.FixedZone("CEST", 7200))
	file := "external_id,account,platform,posted_at,views\n1,a,x,2026-09-14T17:05:00Z,10\n"
	_, rows, fails := readAll(t, strings.NewReader(file), Options{ObservedAt: obs, Format: "CSV"})
	if len(rows) != 1 || len(fails) != 0 {
		t.Fatalf("got %d rows and errors %v, want 1 row", len(rows), fails)
	}
	if got := rows[0].Snapshot.ObservedAt.Format(time.RFC3339); got != "2026-09-20T06:00:00Z" {
		t.Errorf("observed_at = %s, want 2026-09-20T06:00:00Z", got)
	}
}

// After the end or a fatal error, Next keeps answering the same.
func TestNextAfterTheEnd(t *testing.T) {
	r, err := NewReader(strings.NewReader("external_id,account,platform,posted_at,observed_at\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next() #%d = %v, want io.EOF", i+1, err)
		}
	}
	boom := errors.New("boom")
	body := io.MultiReader(strings.NewReader("external_id,account,platform,posted_at,observed_at\n"),
		strings.NewReader(strings.Repeat("\n", 2*headPeek)), iotest.ErrReader(boom))
	if r, err = NewReader(body, Options{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next() #%d = %v, want %v", i+1, err, boom)
		}
	}
}
