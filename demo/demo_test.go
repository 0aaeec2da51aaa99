package demo

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestCampaignIsTheSameEveryTime(t *testing.T) {
	a, err := Campaign(Default(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Campaign(Default(), testNow)
	if !reflect.DeepEqual(a, b) {
		t.Error("Campaign(Default(), now) differs between two calls")
	}
	other := Default()
	other.Seed++
	c, _ := Campaign(other, testNow)
	if reflect.DeepEqual(a, c) {
		t.Error("another seed gives the same campaign")
	}
}

// TestCampaignShape: every variant posted on every account, snapshots only at ages reached
// by now and growing with age, and in the ongoing experiments some posts too young for the
// 24-hour horizon.
func TestCampaignShape(t *testing.T) {
	cfg := Default()
	campaign, _ := Campaign(cfg, testNow)
	if len(campaign) != len(cfg.Experiments) {
		t.Fatalf("Campaign made %d experiments, want %d", len(campaign), len(cfg.Experiments))
	}
	for _, e := range campaign {
		seen := map[string]bool{}
		immature := 0
		for _, p := range e.Posts {
			seen[p.Input.VariantKey+"/"+p.Input.Account] = true
			posted, err := time.Parse(time.RFC3339, p.Input.PostedAt)
			if err != nil || !posted.Before(testNow) || posted.Before(e.StartAt) {
				t.Errorf("%s: post %s at %s, want between the start %s and now", e.Input.Key, p.Input.ExternalID, p.Input.PostedAt, e.StartAt)
			}
			if id, _ := strconv.ParseUint(p.Input.ExternalID, 10, 64); int64(id>>32) != posted.Unix() {
				t.Errorf("%s: external id %s does not carry the posting time %s", e.Input.Key, p.Input.ExternalID, posted)
			}
			var last int64 = -1
			matured := false
			for _, s := range p.Snapshots {
				at, _ := time.Parse(time.RFC3339, s.ObservedAt)
				if at.After(testNow) || at.Before(posted) || *s.Views < last {
					t.Errorf("%s: post %s snapshot at %s with %d views (posted %s, before it %d)", e.Input.Key, p.Input.ExternalID, s.ObservedAt, *s.Views, posted, last)
				}
				last = *s.Views
				matured = matured || at.Sub(posted) >= 24*time.Hour
			}
			if !matured {
				immature++
			}
		}
		for _, v := range e.Spec.Variants {
			for _, a := range cfg.Accounts {
				if !seen[v.Key+"/"+a.Name] {
					t.Errorf("%s: variant %s has no post on %s", e.Input.Key, v.Key, a.Name)
				}
			}
		}
		if e.Spec.Key != "video-vs-photo" && immature == 0 {
			t.Errorf("%s: no post is younger than the horizon", e.Input.Key)
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata/demo_posts.csv and demo_experiments.csv from the generator")

// TestReferenceInputs keeps testdata/demo_posts.csv, the input of testdata/demo_reference.R,
// equal to what the generator makes at referenceNow: R's answers are about these posts.
func TestReferenceInputs(t *testing.T) {
	campaign, err := Campaign(Default(), ReferenceNow)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"testdata/demo_posts.csv":       ReferencePostsCSV(campaign),
		"testdata/demo_experiments.csv": ReferenceExperimentsCSV(campaign),
	}
	for path, want := range files {
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (make it with go test ./demo -run TestReferenceInputs -update, then Rscript demo_reference.R in testdata)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's campaign: regenerate it and R's answers (see testdata/demo_reference.R)", path)
		}
	}
}
