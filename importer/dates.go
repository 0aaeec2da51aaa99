package importer

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// localDate is a calendar date as an export writes it, perhaps without a year, perhaps with a
// time of day.
type localDate struct {
	year, month, day int // year 0: not given
	hour, min, sec   int
	hasTime          bool
}

// months maps month names and their abbreviations in the languages TikTok Studio and Meta
// write dates in (English, Spanish, French, Portuguese, German, Italian), with and without
// accents. No abbreviation means different months in two of them.
var months = map[string]int{}

func init() {
	names := [12]string{
		"january jan enero ene janvier janv janeiro januar jänner jaenner gennaio gen",
		"february feb febrero février fevrier févr fevr fevereiro fev februar febbraio",
		"march mar marzo mars março marco märz maerz marz mär mrz",
		"april apr abril abr avril avr aprile",
		"may mayo mai maio maggio mag",
		"june jun junio juin junho juni giugno giu",
		"july jul julio juillet juil julho juli luglio lug",
		"august aug agosto ago août aout",
		"september sep sept septiembre setiembre set septembre setembro settembre",
		"october oct octubre octobre outubro out oktober okt ottobre ott",
		"november nov noviembre novembre novembro",
		"december dec diciembre dic décembre decembre déc dezembro dez dezember dicembre",
	}
	for i, list := range names {
		for _, n := range strings.Fields(list) {
			months[n] = i + 1
		}
	}
}

// dateFillers are words that may sit in a written date without changing it ("16 de
// septiembre", "Saturday, September 16").
var dateFillers = map[string]bool{
	"de": true, "del": true, "of": true, "the": true, "le": true, "el": true, "à": true, "a": true,
	"às": true, "at": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true,
	"lunes": true, "martes": true, "miércoles": true, "jueves": true, "viernes": true, "sábado": true, "domingo": true,
	"lundi": true, "mardi": true, "mercredi": true, "jeudi": true, "vendredi": true, "samedi": true, "dimanche": true,
	"segunda-feira": true, "terça-feira": true, "quarta-feira": true, "quinta-feira": true, "sexta-feira": true,
}

var (
	cjkDateRE   = regexp.MustCompile(`^(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일号]?\s*(.*)$`)
	isoDateRE   = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ tT]+(.*))?$`)
	slashDateRE = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ ,]+(.*))?$`)
	clockRE     = regexp.MustCompile(`^(\d{1,2})[:h](\d{2})(?::(\d{2}))?$`)
	ordinalRE   = regexp.MustCompile(`^(\d{1,2})(?:er|re|st|nd|rd|th|º|°|o)$`)
)

// parseLocalDate reads a date as TikTok Studio writes it in the UI's language: "September 16",
// "Sep 16, 2023", "16 de septiembre", "1er octobre 2023", "16 de setembro de 2023", "9月16日",
// "2023年9月16日", "2023-09-16", and any of them followed by a time "17:05". A numeric day/month
// date is accepted only when it is unambiguous ("16/09/2023", not "05/06/2023").
func parseLocalDate(s string) (localDate, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if m := cjkDateRE.FindStringSubmatch(s); m != nil {
		return numericDate(m[1], m[2], m[3], m[4])
	}
	if m := isoDateRE.FindStringSubmatch(s); m != nil {
		return numericDate(m[1], m[2], m[3], m[4])
	}
	if m := slashDateRE.FindStringSubmatch(s); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		switch {
		case a > 12 && b <= 12:
			return numericDate(m[3], m[2], m[1], m[4])
		case b > 12 && a <= 12:
			return numericDate(m[3], m[1], m[2], m[4])
		}
		return localDate{}, false
	}
	return wordDate(s)
}

func numericDate(year, month, day, rest string) (localDate, bool) {
	var d localDate
	d.year, _ = strconv.Atoi(year)
	d.month, _ = strconv.Atoi(month)
	d.day, _ = strconv.Atoi(day)
	if rest = strings.TrimSpace(rest); rest != "" {
		if !d.setClock(strings.Fields(strings.NewReplacer(".", "", ",", " ").Replace(rest))) {
			return localDate{}, false
		}
	}
	return d, d.valid()
}

// wordDate reads a date with a month name, in any order of day, month and year.
func wordDate(s string) (localDate, bool) {
	var d localDate
	var clock []string
	for _, tok := range strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(s)) {
		if m := ordinalRE.FindStringSubmatch(tok); m != nil {
			tok = m[1]
		}
		switch n, err := strconv.Atoi(tok); {
		case dateFillers[tok]:
		case err == nil && len(tok) == 4 && d.year == 0:
			d.year = n
		case err == nil && len(tok) <= 2 && d.day == 0 && len(clock) == 0:
			d.day = n
		case months[tok] != 0 && d.month == 0:
			d.month = months[tok]
		case clockRE.MatchString(tok) || tok == "am" || tok == "pm":
			clock = append(clock, tok)
		default:
			return localDate{}, false
		}
	}
	if len(clock) > 0 && !d.setClock(clock) {
		return localDate{}, false
	}
	return d, d.month != 0 && d.valid()
}

// setClock reads "17:05", "17:05:30", "5:05 pm" or "17h05".
func (d *localDate) setClock(toks []string) bool {
	if len(toks) == 0 || len(toks) > 2 {
		return false
	}
	m := clockRE.FindStringSubmatch(toks[0])
	if m == nil {
		return false
	}
	d.hour, _ = strconv.Atoi(m[1])
	d.min, _ = strconv.Atoi(m[2])
	d.sec, _ = strconv.Atoi(m[3])
	if len(toks) == 2 {
		switch {
		case d.hour < 1 || d.hour > 12:
			return false
		case toks[1] == "am" && d.hour == 12:
			d.hour = 0
		case toks[1] == "pm" && d.hour != 12:
			d.hour += 12
		case toks[1] != "am" && toks[1] != "pm":
			return false
		}
	}
	d.hasTime = true
	return d.hour < 24 && d.min < 60 && d.sec < 60
}

// valid reports whether the day exists in the month (of the year, when given; February 29
// needs one).
func (d localDate) valid() bool {
	if d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 {
		return false
	}
	y := d.year
	if y == 0 {
		y = 2000 // a leap year: 29 February exists in some year
	}
	if d.year != 0 && (d.year < 1970 || d.year > 2200) {
		return false
	}
	return time.Date(y, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC).Day() == d.day
}

// withYear gives a yearless date the latest year that puts it on or before ref (the export
// date): "December 28" exported on 5 January 2025 is 28 December 2024. It reports false when
// no year within eight does (29 February far from a leap year).
func (d localDate) withYear(ref time.Time) (localDate, bool) {
	if d.year != 0 {
		return d, true
	}
	ry, rm, rd := ref.Date()
	for y := ry; y > ry-8; y-- {
		if y == ry && (d.month > int(rm) || (d.month == int(rm) && d.day > rd)) {
			continue
		}
		if time.Date(y, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC).Day() == d.day {
			d.year = y
			return d, true
		}
	}
	return d, false
}

// in returns the date's moment in loc; a date without a time is its midnight.
func (d localDate) in(loc *time.Location) time.Time {
	return time.Date(d.year, time.Month(d.month), d.day, d.hour, d.min, d.sec, 0, loc)
}
