package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
	"postlab/planning"
)

// The answers a plan has, by Accept.
const (
	mimeJSON     = "application/json"
	mimeCSV      = "text/csv"
	mimeCalendar = "text/calendar"
)

// createSchedule makes, stores and answers a posting plan.
func (s *Server) createSchedule(c echo.Context) error {
	var in planning.ScheduleInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	plan, err := s.plans.PlanSchedule(c.Request().Context(), principal(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	rows := make([]scheduleRow, len(plan.Slots))
	for i, slot := range plan.Slots {
		rows[i] = scheduleRow{slot: slot}
	}
	return s.writeSchedule(c, plan.ExperimentID, plan.ExperimentKey, rows, false, plan)
}

// getSchedule answers the stored plan, checked against the posts logged.
func (s *Server) getSchedule(c echo.Context) error {
	plan, err := s.plans.StoredSchedule(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	rows := make([]scheduleRow, len(plan.Slots))
	for i, slot := range plan.Slots {
		rows[i] = scheduleRow{slot: slot.ScheduleSlot, onTime: slot.OnTime, wrongVariant: slot.WrongVariant, postID: slot.PostID}
	}
	return s.writeSchedule(c, plan.ExperimentID, plan.ExperimentKey, rows, true, plan)
}

// scheduleRow is a slot as the CSV and the calendar show it, with its check when the plan is
// the stored one.
type scheduleRow struct {
	slot         experiments.ScheduleSlot
	onTime       bool
	wrongVariant bool
	postID       *string
}

// writeSchedule answers the plan as JSON (asJSON), CSV or iCalendar, as the client prefers.
func (s *Server) writeSchedule(c echo.Context, experimentID, key string, rows []scheduleRow, checked bool, asJSON any) error {
	switch preferred(c.Request().Header.Get("Accept"), mimeJSON, mimeCSV, mimeCalendar) {
	case mimeCSV:
		body, err := scheduleCSV(rows, checked)
		if err != nil {
			return fmt.Errorf("write schedule csv: %w", err)
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-schedule.csv"`, key))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body)
	case mimeCalendar:
		body := scheduleCalendar(experimentID, key, rows, s.svc.Now())
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-schedule.ics"`, key))
		return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", body)
	}
	return c.JSON(http.StatusOK, asJSON)
}

// scheduleCSV writes one row per slot; a checked (stored) plan adds its check.
func scheduleCSV(rows []scheduleRow, checked bool) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"planned_at", "planned_at_utc", "account", "variant_key", "variant_name", "block"}
	if checked {
		header = append(header, "on_time", "wrong_variant", "post_id")
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rec := []string{r.slot.PlannedAt.Format(time.RFC3339), r.slot.PlannedAt.UTC().Format(time.RFC3339),
			r.slot.Account, r.slot.VariantKey, r.slot.VariantName, r.slot.Block}
		if checked {
			postID := ""
			if r.postID != nil {
				postID = *r.postID
			}
			rec = append(rec, strconv.FormatBool(r.onTime), strconv.FormatBool(r.wrongVariant), postID)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// icsTime is an iCalendar UTC date-time (RFC 5545 §3.3.5, form 2).
const icsTime = "20060102T150405Z"

// scheduleCalendar writes the plan as an iCalendar (RFC 5545) with one event per slot. Each
// UID is derived from the experiment and the slot, so a calendar that imports the same plan
// again updates its events instead of doubling them.
func scheduleCalendar(experimentID, key string, rows []scheduleRow, now time.Time) []byte {
	var b bytes.Buffer
	line := func(name, value string) { icsLine(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//postlab//posting plan//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", icsText("Posting plan: "+key))
	stamp := now.UTC().Format(icsTime)
	for i, r := range rows {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s\x00%s", experimentID, i, r.slot.Account,
			r.slot.VariantID, r.slot.PlannedAt.UTC().Format(time.RFC3339)))
		line("BEGIN", "VEVENT")
		line("UID", hex.EncodeToString(sum[:16])+"@postlab")
		line("DTSTAMP", stamp)
		line("DTSTART", r.slot.PlannedAt.UTC().Format(icsTime))
		line("DURATION", "PT15M")
		line("SUMMARY", icsText("Post "+r.slot.VariantName+" on "+r.slot.Account))
		line("DESCRIPTION", icsText(fmt.Sprintf("Variant %s of experiment %s, block %s, at %s local time.",
			r.slot.VariantKey, key, r.slot.Block, r.slot.PlannedAt.Format("15:04 Mon 2 Jan (-07:00)"))))
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

// icsEscaper escapes a TEXT value (RFC 5545 §3.3.11).
var icsEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func icsText(s string) string { return icsEscaper.Replace(s) }

// icsLine writes a content line ending in CRLF, folded so that no line is longer than 75
// octets (RFC 5545 §3.1): continuation lines start with a space, and a fold never splits a
// UTF-8 character.
func icsLine(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
