package demo

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"
)

// ReferenceNow is the "now" at which testdata/demo_reference.R holds the demo's reports
// against R.
var ReferenceNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// ReferencePostsCSV lists each post of the campaign with its views at exactly 24 hours, the
// horizon (empty when the post is younger), in the order the demo logs them (seq).
func ReferencePostsCSV(campaign []Experiment) []byte {
	rows := [][]string{{"experiment", "seq", "variant_key", "control", "account", "external_id", "posted_at", "views_24h"}}
	for _, e := range campaign {
		control := map[string]bool{}
		for _, v := range e.Variants {
			control[v.Key] = v.IsControl
		}
		for i, p := range e.Posts {
			posted, _ := time.Parse(time.RFC3339, p.Input.PostedAt)
			views := ""
			for _, s := range p.Snapshots {
				if at, _ := time.Parse(time.RFC3339, s.ObservedAt); at.Sub(posted) == 24*time.Hour {
					views = strconv.FormatInt(*s.Views, 10)
				}
			}
			rows = append(rows, []string{e.Input.Key, strconv.Itoa(i + 1), p.Input.VariantKey,
				map[bool]string{true: "1", false: "0"}[control[p.Input.VariantKey]], p.Input.Account,
				p.Input.ExternalID, p.Input.PostedAt, views})
		}
	}
	return csvBytes(rows)
}

// ReferenceExperimentsCSV lists each experiment's start and settings, in the order the demo
// starts them.
func ReferenceExperimentsCSV(campaign []Experiment) []byte {
	rows := [][]string{{"experiment", "started_at", "mde", "alpha", "horizon_hours"}}
	for _, e := range campaign {
		rows = append(rows, []string{e.Input.Key, e.StartAt.Format(time.RFC3339),
			fmt.Sprint(*e.Input.MDE), "0.05", fmt.Sprint(*e.Input.HorizonHours)})
	}
	return csvBytes(rows)
}

func csvBytes(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows) // a bytes.Buffer does not fail
	return b.Bytes()
}
