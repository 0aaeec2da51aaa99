package importer

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"postlab/experiments"
)

// videoLinkRE matches a TikTok post link and captures the handle and the post's id.
var videoLinkRE = regexp.MustCompile(`(?i)^(?:https?://)?(?:[a-z0-9-]+\.)*tiktok\.com/@([^/?#\s]+)/(?:video|photo)/(\d{1,20})(?:[/?#]\S*)?$`)

var yearCellRE = regexp.MustCompile(`^\s*\d{4}(?:\s.*)?$`)

// TikTok's first video id carries a time in 2016; an id that reads earlier does not carry one.
const tiktokEpoch = 1451606400 // 2016-01-01T00:00:00Z

// tiktokMetrics are the export's count columns.
var tiktokMetrics = []struct {
	header string
	ptr    func(*experiments.Snapshot) **int64
}{
	{"total likes", func(s *experiments.Snapshot) **int64 { return &s.Likes }},
	{"total comments", func(s *experiments.Snapshot) **int64 { return &s.Comments }},
	{"total shares", func(s *experiments.Snapshot) **int64 { return &s.Shares }},
	{"total views", func(s *experiments.Snapshot) **int64 { return &s.Views }},
	{"total saves", func(s *experiments.Snapshot) **int64 { return &s.Saves }},
	{"total favorites", func(s *experiments.Snapshot) **int64 { return &s.Saves }},
}

type tiktokMetric struct {
	col  int
	name string // as the header writes it, for reasons
	ptr  func(*experiments.Snapshot) **int64
}

// tiktok reads TikTok Studio's Content.csv.
type tiktok struct {
	c                      *csvFile
	env                    *env
	header                 []string
	time, title, link, pub int // header positions, -1 when absent
	metrics                []tiktokMetric
	out                    []string
}

func newTikTok(c *csvFile, header []string, env *env) (*tiktok, error) {
	t := &tiktok{c: c, env: env, header: header, out: make([]string, len(header))}
	pos := map[string]int{}
	for i, h := range header {
		if _, dup := pos[normHeader(h)]; !dup {
			pos[normHeader(h)] = i
		}
	}
	at := func(name string) int {
		if i, ok := pos[name]; ok {
			return i
		}
		return -1
	}
	t.time, t.title, t.link, t.pub = at("time"), at("video title"), at("video link"), at("post time")
	for _, m := range tiktokMetrics {
		if i := at(m.header); i >= 0 && !slices.ContainsFunc(t.metrics, func(x tiktokMetric) bool { return x.col == i }) {
			t.metrics = append(t.metrics, tiktokMetric{col: i, name: strconv.Quote(strings.TrimSpace(header[i])), ptr: m.ptr})
		}
	}
	switch {
	case t.link < 0:
		return nil, &FileError{Line: 1, Reason: `the header lacks "Video link"; is this TikTok Studio's Content.csv?`}
	case t.time < 0:
		return nil, &FileError{Line: 1, Reason: `the header lacks "Time", the date of the export`}
	}
	return t, nil
}

func (t *tiktok) next() (experiments.ImportRow, error) {
	for {
		rec, line, err := t.c.read()
		if err != nil {
			return experiments.ImportRow{}, err
		}
		if blank(rec) {
			continue
		}
		if reason := t.align(rec); reason != "" {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: reason}
		}
		row, reason := t.build(line)
		if reason != "" {
			return experiments.ImportRow{}, &RowError{Line: line, Reason: reason}
		}
		return row, nil
	}
}

// align puts a record's cells under the header's columns in t.out. TikTok Studio does not
// quote titles, so a title with commas spreads over several cells: the row is anchored on its
// video link, and the cells between the title's start and the link are the title. A date
// with an unquoted comma ("September 20, 2024") is joined back too.
func (t *tiktok) align(rec []string) string {
	at := -1
	for i := len(rec) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(rec[i]), "tiktok.com") && videoLinkRE.MatchString(strings.TrimSpace(rec[i])) {
			at = i
			break
		}
	}
	if at < 0 {
		return "no TikTok video link (https://www.tiktok.com/@account/video/ID) in the row"
	}
	cs := rec
	if at > t.link && t.time < t.link && t.time+1 < at {
		if merged, ok := joinDate(cs, t.time); ok {
			cs, at = merged, at-1
		}
	}
	extra := at - t.link
	if extra < 0 || (extra > 0 && (t.title < 0 || t.title > t.link)) {
		return fmt.Sprintf("the video link is in cell %d but the header has \"Video link\" in cell %d", at+1, t.link+1)
	}
	for i := 0; i <= t.link; i++ {
		switch {
		case extra == 0 || i < t.title:
			t.out[i] = cs[i]
		case i == t.title:
			t.out[i] = strings.Join(cs[i:i+extra+1], ",")
		default:
			t.out[i] = cs[i+extra]
		}
	}
	tail, want := cs[at+1:], len(t.out)-t.link-1
	if len(tail) == want+1 && t.pub > t.link {
		if merged, ok := joinDate(tail, t.pub-t.link-1); ok {
			tail = merged
		}
	}
	if len(tail) != want {
		return fmt.Sprintf("the row has %d cells after the video link but the header has %d (is a number or a date with a comma left unquoted?)", len(tail), want)
	}
	copy(t.out[t.link+1:], tail)
	return ""
}

// joinDate joins cells i and i+1 when together they read as a date with a year
// ("September 20" and " 2024").
func joinDate(cells []string, i int) ([]string, bool) {
	if i < 0 || i+1 >= len(cells) || !yearCellRE.MatchString(cells[i+1]) {
		return nil, false
	}
	joined := cells[i] + "," + cells[i+1]
	if d, ok := parseLocalDate(joined); !ok || d.year == 0 {
		return nil, false
	}
	return slices.Concat(cells[:i], []string{joined}, cells[i+2:]), true
}

func (t *tiktok) build(line int) (experiments.ImportRow, string) {
	row := experiments.ImportRow{Line: line}
	p, s := &row.Post, &row.Snapshot
	link := strings.TrimSpace(t.out[t.link])
	m := videoLinkRE.FindStringSubmatch(link)
	p.Platform, p.URL, p.ExternalID = "tiktok", link, m[2]
	p.Account, p.Timezone = cmp.Or(t.env.account, m[1]), t.env.tzName
	if t.title >= 0 {
		p.Caption = strings.TrimSpace(t.out[t.title])
	}
	p.Hashtags = postHashtags(p.Caption, "")
	export, observed, reason := t.observed()
	if reason != "" {
		return row, reason
	}
	fromID := false
	if p.PostedAt, fromID, reason = t.posted(p.ExternalID, export, observed); reason != "" {
		return row, reason
	}
	if observed.Before(p.PostedAt) {
		if fromID {
			return row, fmt.Sprintf("the post time read from the video id (%s) is after the export date in \"Time\" (%s); give the time zone the export was made in",
				p.PostedAt.UTC().Format(time.RFC3339), strings.TrimSpace(t.out[t.time]))
		}
		return row, fmt.Sprintf("\"Post time\" (%s) is after the export date in \"Time\" (%s)",
			strings.TrimSpace(t.out[t.pub]), strings.TrimSpace(t.out[t.time]))
	}
	s.ObservedAt = observed.UTC()
	for _, m := range t.metrics {
		if *m.ptr(s), reason = looseCount(m.name, t.out[m.col]); reason != "" {
			return row, reason
		}
	}
	return row, ""
}

// observed reads "Time", the export's date: the file is a snapshot taken that day. The moment
// is Options.ObservedAt when it falls on that day, else the day's last second, since a post
// listed in the export was published before it was taken.
func (t *tiktok) observed() (export localDate, at time.Time, reason string) {
	cell := strings.TrimSpace(t.out[t.time])
	d, ok := parseLocalDate(cell)
	if !ok {
		return d, at, fmt.Sprintf("\"Time\": %s is not a date", quote(cell))
	}
	loc := t.env.loc
	if d.year == 0 {
		ref := t.env.observedAt
		if ref.IsZero() {
			ref = t.env.now()
		}
		if d, ok = d.withYear(ref.In(loc)); !ok {
			return d, at, fmt.Sprintf("\"Time\": %s has no year that puts it before today", quote(cell))
		}
	}
	if d.hasTime {
		return d, d.in(loc), ""
	}
	if o := t.env.observedAt.In(loc); !t.env.observedAt.IsZero() && o.Year() == d.year && int(o.Month()) == d.month && o.Day() == d.day {
		return d, t.env.observedAt, ""
	}
	return d, time.Date(d.year, time.Month(d.month), d.day, 23, 59, 59, 0, loc), ""
}

// posted reads the post's publication time: the video id's top 32 bits when they hold a
// plausible time (from TikTok's start to two days after the export), else "Post time", whose
// missing year is inferred from the export date.
func (t *tiktok) posted(id string, export localDate, observed time.Time) (at time.Time, fromID bool, reason string) {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		if sec := int64(n >> 32); sec >= tiktokEpoch && sec <= observed.Unix()+2*86400 {
			return time.Unix(sec, 0).In(t.env.loc), true, ""
		}
	}
	cell := ""
	if t.pub >= 0 {
		cell = strings.TrimSpace(t.out[t.pub])
	}
	if unknownCells[strings.ToLower(cell)] {
		return at, false, "\"Post time\" is empty and the video id carries no post time"
	}
	d, ok := parseLocalDate(cell)
	if !ok {
		return at, false, fmt.Sprintf("\"Post time\": %s is not a date", quote(cell))
	}
	if d, ok = d.withYear(export.in(time.UTC)); !ok {
		return at, false, fmt.Sprintf("\"Post time\": %s falls on no date before the export", quote(cell))
	}
	return d.in(t.env.loc), false, ""
}
