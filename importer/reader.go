package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"postlab/experiments"
)

// Format names a kind of import file.
type Format string

const (
	FormatCSV       Format = "csv"       // generic CSV, one row per snapshot
	FormatNDJSON    Format = "ndjson"    // generic NDJSON, one object per snapshot
	FormatTikTok    Format = "tiktok"    // TikTok Studio Content.csv
	FormatInstagram Format = "instagram" // Meta Business Suite Instagram post export
	FormatFacebook  Format = "facebook"  // Meta Business Suite Facebook post export
)

// Formats lists every format.
var Formats = []Format{FormatCSV, FormatNDJSON, FormatTikTok, FormatInstagram, FormatFacebook}

// ParseFormat reads a ?format= value: one of Formats in any case, "json" or "jsonl" for NDJSON,
// or "" (detect from the file).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	switch {
	case f == "":
		return "", nil
	case f == "json" || f == "jsonl":
		return FormatNDJSON, nil
	case slices.Contains(Formats, f):
		return f, nil
	}
	return "", &FileError{Reason: fmt.Sprintf("unknown format %q: use csv, ndjson, tiktok, instagram or facebook", s)}
}

// Options say how to read a file.
type Options struct {
	Format     Format    // empty: detect from the first bytes / header row
	Platform   string    // platform for rows that do not name one (generic formats); tiktok/instagram/facebook formats imply theirs
	Account    string    // account handle for files that do not carry one (TikTok Studio export)
	Timezone   string    // IANA zone for naive local times in the file (Meta "Publish time"); default UTC
	ObservedAt time.Time // Meta exports: the export time given in the request (required for those formats; error if zero)
}

// RowError is a row that cannot be imported. The caller counts it and reads on.
type RowError struct {
	Line   int    // 1-based physical line of the row's start in the file (the header is line 1)
	Reason string // in plain words, naming the column
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Failure is the error as the import answer reports it.
func (e *RowError) Failure() experiments.ImportFailure {
	return experiments.ImportFailure{Line: e.Line, Reason: e.Reason}
}

// FileError is a problem with the file as a whole: nothing (more) can be read from it.
type FileError struct {
	Line   int // the line concerned, 0 when none
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// Reader reads rows from an import file.
type Reader struct {
	format Format
	src    source
	err    error // the error that ended the read, returned again by every later call
}

// source is one format's row reader; it returns a *RowError for a bad row.
type source interface {
	next() (experiments.ImportRow, error)
}

// maxRecord bounds one row (a CSV record or an NDJSON line) so that a broken file cannot make
// a row grow without bound.
const maxRecord = 1 << 20

// headPeek is how much of the file detection may look at.
const headPeek = 64 << 10

// NewReader reads the file's header and returns a Reader positioned on its first row.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	env, err := newEnv(opts)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, headPeek)
	head, err := peekHead(br)
	if err != nil {
		return nil, err
	}
	format, err := ParseFormat(string(opts.Format))
	if err != nil {
		return nil, err
	}
	if (format == "" || format == FormatNDJSON) && head[0] == '[' {
		return nil, &FileError{Line: 1, Reason: "the file is a JSON array; NDJSON is one JSON object per line"}
	}
	if format == "" && head[0] == '{' {
		format = FormatNDJSON
	}
	if format == FormatNDJSON {
		return &Reader{format: format, src: newNDJSON(br, env)}, nil
	}
	return openCSV(br, head, format, env)
}

// openCSV reads a CSV file's header and picks the format's reader (detecting the format
// from the header when it is not given).
func openCSV(br *bufio.Reader, head []byte, format Format, env *env) (*Reader, error) {
	limit := &recordLimit{r: br}
	cr := csv.NewReader(limit)
	cr.Comma = sniffDelimiter(head)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, headerReadError(err)
	}
	header = slices.Clone(header)
	if format == "" {
		if format, err = detect(header); err != nil {
			return nil, err
		}
	}
	rd := &Reader{format: format}
	c := &csvFile{r: cr, limit: limit, header: header}
	switch format {
	case FormatCSV:
		rd.src, err = newGenericCSV(c, header, env)
	case FormatTikTok:
		cr.LazyQuotes = true
		rd.src, err = newTikTok(c, header, env)
	case FormatInstagram, FormatFacebook:
		cr.LazyQuotes = true
		rd.src, err = newMeta(c, header, env, format)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Format is the file's format, given or detected.
func (r *Reader) Format() Format { return r.format }

// IgnoredColumns lists the columns of a generic CSV header, or the keys of the NDJSON objects
// read so far (at most 50), that the importer does not know and skips: a notes column, or a
// misspelt metric worth a warning.
func (r *Reader) IgnoredColumns() []string {
	if s, ok := r.src.(interface{ ignoredColumns() []string }); ok {
		return slices.Clone(s.ignoredColumns())
	}
	return nil
}

// Next returns the next row. A row that cannot be imported is a *RowError: count it and call
// Next again. At the end Next returns io.EOF; any other error ends the read.
func (r *Reader) Next() (experiments.ImportRow, error) {
	if r.err != nil {
		return experiments.ImportRow{}, r.err
	}
	row, err := r.src.next()
	if _, ok := err.(*RowError); ok {
		return experiments.ImportRow{}, err
	}
	if err != nil {
		r.err = err
		return experiments.ImportRow{}, err
	}
	if reason := checkRow(row); reason != "" {
		return experiments.ImportRow{}, &RowError{Line: row.Line, Reason: reason}
	}
	return row, nil
}

// checkRow holds the rules every format shares; they mirror the API's validation of posts and
// snapshots, so that an imported row fails here with its line rather than later in a batch.
func checkRow(row experiments.ImportRow) string {
	p, s := row.Post, row.Snapshot
	switch {
	case p.ExternalID == "":
		return "external_id is empty"
	case len(p.ExternalID) > 200:
		return "external_id is longer than 200 characters"
	case p.Account == "":
		return "account is empty and no account was given for the import"
	case len(p.Account) > 200:
		return "account is longer than 200 characters"
	case len(p.Caption) > 10000:
		return "caption is longer than 10,000 characters"
	case len(p.URL) > 2000:
		return "url is longer than 2,000 characters"
	case s.ObservedAt.Before(p.PostedAt):
		return fmt.Sprintf("observed_at (%s) is before posted_at (%s)",
			s.ObservedAt.Format(time.RFC3339), p.PostedAt.Format(time.RFC3339))
	}
	return ""
}

// peekHead skips a UTF-8 byte-order mark and returns the start of the file from its first
// non-blank byte.
func peekHead(br *bufio.Reader) ([]byte, error) {
	head, err := br.Peek(headPeek)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
		head = head[3:]
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return nil, &FileError{Reason: "the file is UTF-16; export or save it as UTF-8"}
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return nil, &FileError{Reason: "the file is empty"}
	}
	return head, nil
}

// sniffDelimiter picks the delimiter the header line uses most: spreadsheets in many locales
// save CSV with ';'.
func sniffDelimiter(head []byte) rune {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(line) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

func headerReadError(err error) error {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return &FileError{Line: pe.Line, Reason: "the header row is not valid CSV: " + pe.Err.Error()}
	case errors.Is(err, errRecordTooLong):
		return &FileError{Line: 1, Reason: "the header row is longer than 1 MiB"}
	case err == io.EOF:
		return &FileError{Reason: "the file is empty"}
	}
	return fmt.Errorf("read the header: %w", err)
}

// normHeader reads a header cell: trimmed, lowercase, quotes and a stray BOM removed.
func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	return strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`)))
}

// detect names the format of a CSV file by its header.
func detect(header []string) (Format, error) {
	has := map[string]bool{}
	for _, h := range header {
		has[normHeader(h)] = true
	}
	switch {
	case has["video link"]:
		return FormatTikTok, nil
	case has["post id"] && has["permalink"] && has["account username"]:
		return FormatInstagram, nil
	case has["post id"] && has["permalink"] && (has["page name"] || has["page id"]):
		return FormatFacebook, nil
	case has["post id"] && has["permalink"]:
		return "", &FileError{Line: 1, Reason: `the file looks like a Meta export but has neither "Account username" (Instagram) nor "Page name" (Facebook); give ?format=instagram or ?format=facebook`}
	}
	return FormatCSV, nil
}

// csvFile is a CSV body after its header, with the guard on record length.
type csvFile struct {
	r      *csv.Reader
	limit  *recordLimit
	header []string
	last   int // the line of the last cell read: the next record starts after it
}

// read returns the next record and its start line, skipping a repeat of the header (two
// exports joined into one file). A record that is not valid CSV is a *RowError; a record
// beyond maxRecord is a *FileError.
func (c *csvFile) read() ([]string, int, error) {
	for {
		c.limit.n = 0
		rec, err := c.r.Read()
		var pe *csv.ParseError
		switch {
		case err == nil:
			line, _ := c.r.FieldPos(0)
			c.last, _ = c.r.FieldPos(len(rec) - 1)
			if c.isHeader(rec) {
				continue
			}
			return rec, line, nil
		case errors.As(err, &pe):
			c.last = pe.Line
			return nil, pe.StartLine, &RowError{Line: pe.StartLine, Reason: "the row is not valid CSV: " + pe.Err.Error() + " (a quote inside a cell must be doubled, and the cell quoted)"}
		case errors.Is(err, errRecordTooLong):
			return nil, 0, &FileError{Line: c.last + 1, Reason: "the row that starts here is longer than 1 MiB; is a quote left open?"}
		}
		return nil, 0, err
	}
}

func (c *csvFile) isHeader(rec []string) bool {
	if len(rec) != len(c.header) {
		return false
	}
	for i, h := range c.header {
		if normHeader(rec[i]) != normHeader(h) {
			return false
		}
	}
	return true
}

var errRecordTooLong = errors.New("record too long")

// recordLimit fails a read once one record has pulled more than maxRecord bytes.
type recordLimit struct {
	r io.Reader
	n int
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n > maxRecord {
		return 0, errRecordTooLong
	}
	n, err := l.r.Read(p)
	l.n += n
	return n, err
}

// blank reports whether every cell of a record is empty (a spreadsheet's trailing rows).
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// quote shows a cell's value in a reason, cut short when long.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
