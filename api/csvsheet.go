package api

import (
	"bytes"
	"encoding/csv"
	"strings"
)

// csvSheet writes CSV that is safe to open in a spreadsheet. A text cell that begins with =, +,
// -, @, a tab or a carriage return would be taken for a formula (OWASP "CSV injection"): such
// a cell is written with a leading single quote, which spreadsheets show as text. Numbers are
// written as they are, so that "-12.5" stays a number; only values that postlab formats itself
// may be written as numbers, never text that a client sent.
type csvSheet struct {
	buf bytes.Buffer
	w   *csv.Writer
}

func newCSVSheet() *csvSheet {
	s := &csvSheet{}
	s.w = csv.NewWriter(&s.buf)
	return s
}

// csvCell is one cell: text (neutralised when it could be read as a formula) or a number.
type csvCell struct {
	value  string
	number bool
}

// textCell is a cell of text, which may come from a client.
func textCell(s string) csvCell { return csvCell{value: s} }

// numberCell is a cell that postlab formatted from a number, a time or a boolean.
func numberCell(s string) csvCell { return csvCell{value: s, number: true} }

// textCells makes a row of text cells (a header).
func textCells(ss ...string) []csvCell {
	cells := make([]csvCell, len(ss))
	for i, s := range ss {
		cells[i] = textCell(s)
	}
	return cells
}

// row writes one record.
func (s *csvSheet) row(cells ...csvCell) error {
	rec := make([]string, len(cells))
	for i, c := range cells {
		rec[i] = c.value
		if !c.number {
			rec[i] = neutralizeFormula(c.value)
		}
	}
	return s.w.Write(rec)
}

// bytes flushes the sheet and returns it.
func (s *csvSheet) bytes() ([]byte, error) {
	s.w.Flush()
	return s.buf.Bytes(), s.w.Error()
}

// neutralizeFormula prefixes a single quote to text a spreadsheet would run as a formula.
func neutralizeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
