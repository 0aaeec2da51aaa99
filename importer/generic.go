package importer

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"postlab/experiments"
)

// field is a known column of the generic formats.
type field int

const (
	fExternalID field = iota
	fVariantKey
	fAccount
	fPlatform
	fPostedAt
	fTimezone
	fObservedAt
	fURL
	fCaption
	fHashtags
	fCountry
	fLanguage
	fFollowers
	fFirstMetric // the built-in snapshot metrics follow, in the order of experiments.SnapshotMetrics
)

// numFields counts the known columns: the post's, then one per built-in snapshot metric.
var numFields = int(fFirstMetric) + len(experiments.SnapshotMetrics)

// fieldNames name the known columns by field.
var fieldNames = func() []string {
	names := []string{"external_id", "variant_key", "account", "platform", "posted_at",
		"timezone", "observed_at", "url", "caption", "hashtags", "country", "language", "followers_at_post"}
	for _, sm := range experiments.SnapshotMetrics {
		names = append(names, sm.Name)
	}
	return names
}()

var fieldByName = map[string]field{}

func init() {
	for i, n := range fieldNames {
		fieldByName[n] = field(i)
	}
}

// normName reads a column or key name: trimmed, lowercase, spaces as '_'.
func normName(s string) string {
	return strings.ReplaceAll(normHeader(s), " ", "_")
}

// record is one generic row's cells by field, before they are parsed.
type record struct {
	vals   []string // by field
	bad    []string // by field: a reason found while reading the cell (NDJSON: a value of the wrong type)
	custom []customCell
	tags   []string // hashtags given as a JSON array
}

type customCell struct{ name, raw, bad string }

func (r *record) reset() {
	if r.vals == nil {
		r.vals, r.bad = make([]string, numFields), make([]string, numFields)
	}
	clear(r.vals)
	clear(r.bad)
	r.custom, r.tags = r.custom[:0], r.tags[:0]
}

// buildGeneric parses a generic row's cells into a post and its snapshot; a non-empty reason
// says why it cannot.
func (e *env) buildGeneric(line int, r *record) (experiments.ImportRow, string) {
	for f, bad := range r.bad {
		if bad != "" {
			return experiments.ImportRow{}, fieldNames[f] + ": " + bad
		}
	}
	v := r.vals
	row := experiments.ImportRow{Line: line}
	p, s := &row.Post, &row.Snapshot
	if p.ExternalID = v[fExternalID]; p.ExternalID == "" {
		return row, "external_id is empty"
	}
	if reason := e.genericPlatform(p, v[fPlatform]); reason != "" {
		return row, reason
	}
	p.VariantKey, p.Account = v[fVariantKey], cmp.Or(v[fAccount], e.account)
	p.URL, p.Caption, p.Country, p.Language = v[fURL], v[fCaption], v[fCountry], v[fLanguage]
	p.Hashtags = postHashtags(p.Caption, v[fHashtags])
	for _, t := range r.tags {
		p.Hashtags = addTag(p.Hashtags, t)
	}
	loc := e.loc
	if p.Timezone = cmp.Or(v[fTimezone], e.tzName); v[fTimezone] != "" {
		var ok bool
		if loc, ok = e.zone(v[fTimezone]); !ok {
			return row, fmt.Sprintf("timezone: %s is not an IANA time zone such as Europe/Zurich", quote(v[fTimezone]))
		}
	}
	var reason string
	if p.PostedAt, reason = timestampCell("posted_at", v[fPostedAt], loc); reason != "" {
		return row, reason
	}
	if v[fObservedAt] == "" && !e.observedAt.IsZero() {
		s.ObservedAt = e.observedAt
	} else if s.ObservedAt, reason = timestampCell("observed_at", v[fObservedAt], loc); reason != "" {
		return row, reason
	}
	s.ObservedAt = s.ObservedAt.UTC()
	if p.FollowersAtPost, reason = parseCount("followers_at_post", v[fFollowers]); reason != "" {
		return row, reason
	}
	return row, genericMetrics(s, r)
}

func (e *env) genericPlatform(p *experiments.Post, cell string) string {
	p.Platform = cmp.Or(strings.ToLower(cell), e.platform)
	switch {
	case p.Platform == "":
		return "platform is empty and no platform was given for the import"
	case !slices.Contains(experiments.Platforms, p.Platform):
		return fmt.Sprintf("platform: %s is not one of %s", quote(cell), strings.Join(experiments.Platforms, ", "))
	}
	return ""
}

func timestampCell(col, cell string, loc *time.Location) (time.Time, string) {
	if cell == "" {
		return time.Time{}, col + " is empty"
	}
	t, ok := parseTimestamp(cell, loc)
	if !ok {
		return time.Time{}, fmt.Sprintf("%s: %s is not a date and time; use RFC 3339 such as 2026-09-14T17:05:00+02:00", col, quote(cell))
	}
	// Checked here, while the time still has the offset it was written with.
	if p := experiments.TimeProblem(t); p != "" {
		return time.Time{}, fmt.Sprintf("%s: %s %s", col, quote(cell), p)
	}
	return t, ""
}

func genericMetrics(s *experiments.Snapshot, r *record) string {
	// One array holds the row's counts: one allocation instead of one per metric.
	var counts []int64
	for i, sm := range experiments.SnapshotMetrics {
		cell := r.vals[int(fFirstMetric)+i]
		if !sm.Whole() {
			hi := math.Inf(1)
			if sm.Fraction {
				hi = 1
			}
			var reason string
			// A share may be written as a percentage ("85%").
			if *sm.RealIn(&s.Metrics), reason = parseReal(sm.Name, cell, 0, hi, sm.Fraction); reason != "" {
				return reason
			}
			continue
		}
		v, ok, reason := countValue(sm.Name, cell)
		if reason != "" {
			return reason
		}
		if ok {
			if counts == nil {
				counts = make([]int64, len(experiments.SnapshotMetrics))
			}
			counts[i] = v
			*sm.WholeIn(&s.Metrics) = &counts[i]
		}
	}
	inf := math.Inf(1)
	// NDJSON keys come in no fixed order: sorting keeps the reason for a row the same.
	slices.SortFunc(r.custom, func(a, b customCell) int { return strings.Compare(a.name, b.name) })
	for _, c := range r.custom {
		col := "custom." + c.name
		switch {
		case c.bad != "" && c.name == "":
			return c.bad
		case c.bad != "":
			return col + ": " + c.bad
		case !experiments.ValidCustomName(c.name):
			return col + ": custom metric names are lowercase letters, digits and '_'"
		}
		f, reason := parseReal(col, c.raw, 0, inf, false)
		if reason != "" {
			return reason
		}
		if f != nil {
			if s.Custom == nil {
				s.Custom = map[string]float64{}
			}
			s.Custom[c.name] = *f
		}
	}
	return ""
}
