package importer

import (
	"fmt"
	"strings"

	"postlab/experiments"
)

// column says what one header cell of a generic CSV holds.
type column struct {
	f      field
	custom string // custom metric name, for custom.NAME columns
	skip   bool
}

type genericCSV struct {
	c       *csvFile
	env     *env
	cols    []column
	ignored []string
	rec     record
}

func newGenericCSV(c *csvFile, header []string, env *env) (*genericCSV, error) {
	g := &genericCSV{c: c, env: env, cols: make([]column, len(header))}
	seen := map[string]bool{}
	for i, h := range header {
		name := normName(h)
		switch {
		case name == "":
			g.cols[i].skip = true
			continue
		case seen[name]:
			return nil, &FileError{Line: 1, Reason: fmt.Sprintf("column %q appears twice", strings.TrimSpace(h))}
		}
		seen[name] = true
		if custom, ok := strings.CutPrefix(name, "custom."); ok {
			if !experiments.ValidCustomName(custom) {
				return nil, &FileError{Line: 1, Reason: fmt.Sprintf("column %q: custom metric names are lowercase letters, digits and '_'", strings.TrimSpace(h))}
			}
			g.cols[i].custom = custom
			continue
		}
		f, ok := fieldByName[name]
		if !ok {
			g.cols[i].skip = true
			g.ignored = append(g.ignored, strings.TrimSpace(h))
			continue
		}
		g.cols[i].f = f
	}
	if err := checkGenericHeader(seen, env); err != nil {
		return nil, err
	}
	return g, nil
}

func checkGenericHeader(seen map[string]bool, env *env) error {
	var missing []string
	for _, f := range []field{fExternalID, fPostedAt, fObservedAt} {
		if !seen[fieldNames[f]] && (f != fObservedAt || env.observedAt.IsZero()) {
			missing = append(missing, fieldNames[f])
		}
	}
	switch {
	case len(missing) > 0:
		return &FileError{Line: 1, Reason: "the header lacks the required column(s) " + strings.Join(missing, ", ") +
			" (a generic CSV needs external_id, posted_at and observed_at)"}
	case !seen["platform"] && env.platform == "":
		return &FileError{Line: 1, Reason: "the file has no platform column and no platform was given for the import"}
	case !seen["account"] && env.account == "":
		return &FileError{Line: 1, Reason: "the file has no account column and no account was given for the import"}
	}
	return nil
}

func (g *genericCSV) ignoredColumns() []string { return g.ignored }

func (g *genericCSV) next() (experiments.ImportRow, error) {
	for {
		rec, line, err := g.c.read()
		if err != nil {
			return experiments.ImportRow{}, err
		}
		if blank(rec) {
			continue
		}
		if len(rec) != len(g.cols) {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: fmt.Sprintf(
				"the row has %d cells but the header has %d (a cell that holds the delimiter must be quoted)", len(rec), len(g.cols))}
		}
		g.rec.reset()
		for i, col := range g.cols {
			cell := strings.TrimSpace(rec[i])
			switch {
			case col.skip:
			case col.custom != "":
				g.rec.custom = append(g.rec.custom, customCell{name: col.custom, raw: cell})
			default:
				g.rec.vals[col.f] = cell
			}
		}
		row, reason := g.env.buildGeneric(line, &g.rec)
		if reason != "" {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: reason}
		}
		return row, nil
	}
}
