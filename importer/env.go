package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"postlab/experiments"
)

// env is what every format needs from the options, checked once.
type env struct {
	platform   string         // default platform of generic rows
	account    string         // default account
	tzName     string         // Options.Timezone as given, "" for none
	loc        *time.Location // Options.Timezone, UTC when none
	observedAt time.Time      // Options.ObservedAt
	now        func() time.Time
	zones      map[string]*time.Location
}

func newEnv(o Options) (*env, error) {
	e := &env{account: strings.TrimSpace(o.Account), loc: time.UTC, observedAt: o.ObservedAt,
		now: time.Now, zones: map[string]*time.Location{}}
	if p := strings.ToLower(strings.TrimSpace(o.Platform)); p != "" {
		if !slices.Contains(experiments.Platforms, p) {
			return nil, &FileError{Reason: fmt.Sprintf("platform %q is not one of %s", o.Platform, strings.Join(experiments.Platforms, ", "))}
		}
		e.platform = p
	}
	if tz := strings.TrimSpace(o.Timezone); tz != "" {
		loc, ok := e.zone(tz)
		if !ok {
			return nil, &FileError{Reason: fmt.Sprintf("timezone %q is not an IANA time zone such as Europe/Zurich", o.Timezone)}
		}
		e.tzName, e.loc = tz, loc
	}
	return e, nil
}

// zone loads an IANA zone, remembering the answers: loading reads the zone database.
func (e *env) zone(name string) (*time.Location, bool) {
	if loc, ok := e.zones[name]; ok {
		return loc, loc != nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		loc = nil
	}
	if len(e.zones) < 256 {
		e.zones[name] = loc
	}
	return loc, loc != nil
}

// Layouts of timestamps in generic files: RFC 3339 first, then the forms spreadsheets write.
var (
	offsetLayouts = []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00",
		"2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02 15:04:05 -0700"}
	naiveLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04",
		"2006-01-02 15:04", "2006-01-02"}
)

// parseTimestamp reads an RFC 3339 time, or a time without offset in loc.
func parseTimestamp(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range offsetLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
