package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"postlab/experiments"
)

// ndjson reads generic NDJSON: one JSON object per line, keys named as the generic CSV's
// columns, plus "custom": {name: number} and "hashtags" as an array.
type ndjson struct {
	br      *bufio.Reader
	env     *env
	line    int
	buf     []byte
	rec     record
	ignored []string
}

// maxIgnored bounds the list of unknown keys kept for IgnoredColumns.
const maxIgnored = 50

func newNDJSON(br *bufio.Reader, env *env) *ndjson { return &ndjson{br: br, env: env} }

func (n *ndjson) ignoredColumns() []string { return n.ignored }

func (n *ndjson) next() (experiments.ImportRow, error) {
	for {
		raw, tooLong, err := n.readLine()
		if err != nil {
			return experiments.ImportRow{}, err
		}
		n.line++
		if tooLong {
			return experiments.ImportRow{}, &RowError{Line: n.line, Reason: "the line is longer than 1 MiB"}
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		if reason := n.decode(raw); reason != "" {
			return experiments.ImportRow{}, &RowError{Line: n.line, Reason: reason}
		}
		row, reason := n.env.buildGeneric(n.line, &n.rec)
		if reason != "" {
			return experiments.ImportRow{}, &RowError{Line: n.line, Reason: reason}
		}
		return row, nil
	}
}

// readLine returns the next line without holding more than maxRecord of it; tooLong says the
// line was cut.
func (n *ndjson) readLine() (line []byte, tooLong bool, err error) {
	chunk, err := n.br.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(chunk) > 0) {
		return chunk, false, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, false, err
	}
	n.buf = append(n.buf[:0], chunk...)
	for err == bufio.ErrBufferFull {
		chunk, err = n.br.ReadSlice('\n')
		if !tooLong && len(n.buf)+len(chunk) > maxRecord {
			tooLong, n.buf = true, n.buf[:0]
		}
		if !tooLong {
			n.buf = append(n.buf, chunk...)
		}
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	return n.buf, tooLong, nil
}

// decode fills n.rec from one JSON object; a non-empty reason says why it cannot.
func (n *ndjson) decode(raw []byte) string {
	if raw[0] != '{' {
		return "the line is not a JSON object"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "the line is not valid JSON: " + jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "the line holds more than one JSON value"
	}
	n.rec.reset()
	for key, v := range obj {
		n.setKey(key, v)
	}
	return ""
}

func (n *ndjson) setKey(key string, v any) {
	name := normName(key)
	if name == "custom" {
		n.setCustomObject(v)
		return
	}
	if custom, ok := strings.CutPrefix(name, "custom."); ok {
		s, bad := jsonScalar(v)
		n.rec.custom = append(n.rec.custom, customCell{name: custom, raw: s, bad: bad})
		return
	}
	f, ok := fieldByName[name]
	if !ok {
		n.ignore(key)
		return
	}
	if list, ok := v.([]any); ok && f == fHashtags {
		for _, t := range list {
			if s, ok := t.(string); ok {
				n.rec.tags = append(n.rec.tags, s)
			} else {
				n.rec.bad[f] = "expected a list of strings"
			}
		}
		return
	}
	n.rec.vals[f], n.rec.bad[f] = jsonScalar(v)
}

func (n *ndjson) setCustomObject(v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			n.rec.custom = append(n.rec.custom, customCell{name: "", bad: `"custom" must be an object of numbers`})
		}
		return
	}
	for name, x := range obj {
		s, bad := jsonScalar(x)
		n.rec.custom = append(n.rec.custom, customCell{name: name, raw: s, bad: bad})
	}
}

func (n *ndjson) ignore(key string) {
	if len(n.ignored) >= maxIgnored {
		return
	}
	for _, k := range n.ignored {
		if k == key {
			return
		}
	}
	n.ignored = append(n.ignored, key)
}

// jsonScalar reads a JSON string, number or null as a cell's text.
func jsonScalar(v any) (string, string) {
	switch x := v.(type) {
	case nil:
		return "", ""
	case string:
		return strings.TrimSpace(x), ""
	case json.Number:
		return x.String(), ""
	}
	return "", "expected a string or a number"
}

// jsonProblem words a decoding error without Go's type names.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return syntax.Error()
	case errors.As(err, &typ):
		return "expected an object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends before the object closes"
	}
	return err.Error()
}
