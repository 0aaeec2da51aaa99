package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"postlab/experiments"
	"postlab/store"
	"postlab/store/storetest"
)

// eachDialect runs test on a fresh store of every dialect, in parallel.
func eachDialect(t *testing.T, test func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			test(t, storetest.Open(t, d))
		})
	}
}

// inTx runs fn in one transaction and fails the test if it fails.
func inTx(t testing.TB, db *store.DB, fn func(tx experiments.Tx) error) {
	t.Helper()
	if err := db.Tx(context.Background(), fn); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

// txErr runs fn in one transaction and returns its error.
func txErr(db *store.DB, fn func(tx experiments.Tx) error) error {
	return db.Tx(context.Background(), fn)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ptr[T any](v T) *T { return &v }

// at is a fixed instant, in whole microseconds as both dialects keep them.
func at(hours int) time.Time {
	return time.Date(2026, 9, 14, 17, 5, 0, 123456000, time.UTC).Add(time.Duration(hours) * time.Hour)
}

// wantCode fails the test unless err is a domain error with that code, and returns its message.
func wantCode(t testing.TB, err error, code string) string {
	t.Helper()
	var e *experiments.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want a domain error with code %q", err, code)
	}
	return e.Message
}

func seedWorkspace(t testing.TB, db *store.DB) experiments.Workspace {
	t.Helper()
	ws := experiments.Workspace{ID: newID(), Name: "ws-" + newID(), CreatedAt: at(0)}
	inTx(t, db, func(tx experiments.Tx) error { return tx.CreateWorkspace(ws) })
	return ws
}

func newExperiment(workspaceID, key string) experiments.Experiment {
	return experiments.Experiment{
		ID:               newID(),
		WorkspaceID:      workspaceID,
		Key:              key,
		Name:             "Evening vs morning",
		Hypothesis:       "Posting at 19:00 gets more views than 09:00",
		Platform:         "tiktok",
		Status:           experiments.StatusDraft,
		PrimaryMetric:    "views",
		SecondaryMetrics: []string{"engagement_rate"},
		RatioMetrics:     []experiments.RatioMetric{{Name: "save_rate", Numerator: "saves", Denominator: "views"}},
		HorizonHours:     24,
		HorizonTolerance: 0.25,
		Alpha:            0.05,
		Correction:       "holm",
		MDE:              0.2,
		Factors:          []string{"post_time"},
		Version:          1,
		CreatedAt:        at(0),
		UpdatedAt:        at(0),
	}
}

func seedExperiment(t testing.TB, db *store.DB, workspaceID, key string) experiments.Experiment {
	t.Helper()
	e := newExperiment(workspaceID, key)
	inTx(t, db, func(tx experiments.Tx) error { return tx.InsertExperiment(e) })
	return e
}

func newVariant(e experiments.Experiment, key string, control bool) experiments.Variant {
	return experiments.Variant{
		ID:           newID(),
		WorkspaceID:  e.WorkspaceID,
		ExperimentID: e.ID,
		Key:          key,
		Name:         "Variant " + key,
		IsControl:    control,
		Levels:       map[string]string{"post_time": key},
		Weight:       0.5,
		Hashtags:     []string{"ForClimate"},
		Format:       "video",
		PostTime:     &experiments.PostTime{Start: "19:00", End: "20:00", Timezone: "Europe/Zurich"},
		CreatedAt:    at(0),
	}
}

func seedVariant(t testing.TB, db *store.DB, e experiments.Experiment, key string, control bool) experiments.Variant {
	t.Helper()
	v := newVariant(e, key, control)
	inTx(t, db, func(tx experiments.Tx) error { return tx.InsertVariant(v) })
	return v
}

func newPost(v experiments.Variant, externalID string) experiments.Post {
	return experiments.Post{
		ID:              newID(),
		WorkspaceID:     v.WorkspaceID,
		ExperimentID:    v.ExperimentID,
		VariantID:       v.ID,
		VariantKey:      v.Key,
		Platform:        "tiktok",
		Account:         "ifrc",
		ExternalID:      externalID,
		URL:             "https://www.tiktok.com/@ifrc/video/" + externalID,
		PostedAt:        at(0).In(time.FixedZone("", 2*3600)),
		Timezone:        "Europe/Zurich",
		Country:         "CH",
		Language:        "en",
		Caption:         "Act now #ForClimate",
		Hashtags:        []string{"ForClimate"},
		FollowersAtPost: ptr(int64(1200000)),
		CreatedAt:       at(0),
	}
}

func seedPost(t testing.TB, db *store.DB, v experiments.Variant, externalID string) experiments.Post {
	t.Helper()
	p := newPost(v, externalID)
	inTx(t, db, func(tx experiments.Tx) error { return tx.InsertPost(p) })
	return p
}

// world is one workspace with a running experiment, a control and a treatment variant.
type world struct {
	ws                 experiments.Workspace
	exp                experiments.Experiment
	control, treatment experiments.Variant
}

func seedWorld(t testing.TB, db *store.DB) world {
	t.Helper()
	ws := seedWorkspace(t, db)
	e := seedExperiment(t, db, ws.ID, "timing")
	return world{
		ws:        ws,
		exp:       e,
		control:   seedVariant(t, db, e, "morning", true),
		treatment: seedVariant(t, db, e, "evening", false),
	}
}

// upsert writes snapshots, dropping the count of rows changed.
func upsert(tx experiments.Tx, ss []experiments.Snapshot) error {
	_, err := tx.UpsertSnapshots(ss)
	return err
}
