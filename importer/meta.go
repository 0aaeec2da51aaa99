package importer

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"postlab/experiments"
)

// metaColumn maps a built-in snapshot metric to the export's columns, the first one present
// winning (Meta renamed Impressions and Plays to Views in 2024; older exports carry the old
// names).
type metaColumn struct {
	headers []string
	metric  string // a name in experiments.SnapshotMetrics
}

var (
	instagramColumns = []metaColumn{
		{[]string{"views", "plays", "impressions"}, "views"},
		{[]string{"reach"}, "reach"},
		{[]string{"likes"}, "likes"},
		{[]string{"comments"}, "comments"},
		{[]string{"shares"}, "shares"},
		{[]string{"saves"}, "saves"},
		{[]string{"follows"}, "followers_gained"},
		{[]string{"profile visits"}, "profile_views"},
	}
	facebookColumns = []metaColumn{
		{[]string{"views", "impressions"}, "views"},
		{[]string{"reach"}, "reach"},
		{[]string{"reactions", "likes"}, "likes"},
		{[]string{"comments"}, "comments"},
		{[]string{"shares"}, "shares"},
		{[]string{"follows"}, "followers_gained"},
		{[]string{"seconds viewed"}, "watch_time_seconds"},
		{[]string{"average seconds viewed"}, "avg_watch_seconds"},
	}
)

type metaCol struct {
	col  int
	name string // as the header writes it, for reasons
}

// metaMetricCol is a column of the export that holds a built-in snapshot metric.
type metaMetricCol struct {
	metaCol
	metric experiments.SnapshotMetric
}

// meta reads a Meta Business Suite post export (Instagram or Facebook): one row per post with
// its lifetime totals, observed when the export was made.
type meta struct {
	c        *csvFile
	env      *env
	platform string
	header   []string
	pos      map[string]int

	// header positions, -1 when absent
	id, publish, permalink, date int
	account, title, description  int

	metrics []metaMetricCol
}

func newMeta(c *csvFile, header []string, env *env, format Format) (*meta, error) {
	if env.observedAt.IsZero() {
		return nil, &FileError{Reason: "a Meta export needs the time it was exported (observed_at): its numbers are lifetime totals at that moment"}
	}
	m := &meta{c: c, env: env, platform: string(format), header: header, pos: map[string]int{}}
	for i, h := range header {
		if _, dup := m.pos[normHeader(h)]; !dup {
			m.pos[normHeader(h)] = i
		}
	}
	m.id, m.publish, m.permalink, m.date = m.at("post id"), m.at("publish time"), m.at("permalink"), m.at("date")
	m.description = m.at("description")
	columns := instagramColumns
	if format == FormatFacebook {
		columns = facebookColumns
		m.account, m.title = m.at("page name", "page id"), m.at("title")
	} else {
		m.account, m.title = m.at("account username"), -1
	}
	for _, k := range columns {
		sm, ok := experiments.SnapshotMetricByName(k.metric)
		if !ok {
			panic("importer: " + k.metric + " is not a snapshot metric")
		}
		if i := m.at(k.headers...); i >= 0 {
			m.metrics = append(m.metrics, metaMetricCol{m.col(i), sm})
		}
	}
	switch {
	case m.id < 0:
		return nil, &FileError{Line: 1, Reason: `the header lacks "Post ID"`}
	case m.publish < 0:
		return nil, &FileError{Line: 1, Reason: `the header lacks "Publish time"`}
	case m.account < 0 && env.account == "":
		return nil, &FileError{Line: 1, Reason: `the header has no account column ("Account username" or "Page name") and no account was given for the import`}
	}
	return m, nil
}

// at returns the position of the first of names in the header, -1 when none is there.
func (m *meta) at(names ...string) int {
	for _, n := range names {
		if i, ok := m.pos[n]; ok {
			return i
		}
	}
	return -1
}

func (m *meta) col(i int) metaCol {
	return metaCol{col: i, name: strconv.Quote(strings.TrimSpace(m.header[i]))}
}

func (m *meta) next() (experiments.ImportRow, error) {
	for {
		rec, line, err := m.c.read()
		if err != nil {
			return experiments.ImportRow{}, err
		}
		if blank(rec) || m.describes(rec) {
			continue
		}
		if len(rec) != len(m.header) {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: fmt.Sprintf("the row has %d cells but the header has %d", len(rec), len(m.header))}
		}
		row, reason := m.build(line, rec)
		if reason != "" {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: reason}
		}
		return row, nil
	}
}

// describes reports a row that explains the columns rather than giving a post: older
// exports put "Lifetime: the number of …" under the header.
func (m *meta) describes(rec []string) bool {
	if m.id >= len(rec) || strings.TrimSpace(rec[m.id]) != "" {
		return false
	}
	for _, c := range rec {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c)), "lifetime:") {
			return true
		}
	}
	return false
}

func (m *meta) build(line int, rec []string) (experiments.ImportRow, string) {
	row := experiments.ImportRow{Line: line}
	p, s := &row.Post, &row.Snapshot
	cell := func(i int) string {
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	p.ExternalID, p.Platform, p.Timezone = cell(m.id), m.platform, m.env.tzName
	if strings.Contains(strings.ToUpper(p.ExternalID), "E+") {
		return row, fmt.Sprintf("\"Post ID\": %s was rounded by a spreadsheet; export the file again and open it as text", quote(p.ExternalID))
	}
	if d := cell(m.date); d != "" && !strings.EqualFold(d, "lifetime") {
		return row, fmt.Sprintf("\"Date\" is %s: only lifetime totals can be imported (export with Date \"Lifetime\")", quote(d))
	}
	p.Account, p.URL = cmp.Or(cell(m.account), m.env.account), cell(m.permalink)
	p.Caption = joinCaption(cell(m.title), cell(m.description))
	p.Hashtags = postHashtags(p.Caption, "")
	publish := cell(m.publish)
	t, ok := parseMetaTime(publish, m.env.loc)
	if !ok {
		return row, fmt.Sprintf("\"Publish time\": %s is not a date and time (MM/DD/YYYY HH:MM)", quote(publish))
	}
	p.PostedAt, s.ObservedAt = t, m.env.observedAt.UTC()
	if s.ObservedAt.Before(p.PostedAt) {
		return row, fmt.Sprintf("\"Publish time\" (%s) is after the export time given for the file (%s)", publish, s.ObservedAt.Format(time.RFC3339))
	}
	var reason string
	for _, c := range m.metrics {
		if c.metric.Whole() {
			*c.metric.WholeIn(&s.Metrics), reason = looseCount(c.name, rec[c.col])
		} else {
			*c.metric.RealIn(&s.Metrics), reason = looseReal(c.name, rec[c.col])
		}
		if reason != "" {
			return row, reason
		}
	}
	return row, ""
}

// joinCaption makes a Facebook caption of a post's title and description.
func joinCaption(title, description string) string {
	switch {
	case title == "" || title == description:
		return description
	case description == "":
		return title
	}
	return title + "\n" + description
}

// metaLayouts are the ways Meta has written "Publish time", in the account's time zone.
var metaLayouts = []string{"1/2/2006 15:04", "1/2/2006 15:04:05", "1/2/2006 3:04 PM", "1/2/2006 3:04:05 PM"}

func parseMetaTime(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range metaLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return parseTimestamp(s, loc)
}
