package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// batchRequest is the body of POST /v1/snapshots:batch. Its rows are decoded one by one
// (decodeRows) so that a type error names its row.
type batchRequest struct {
	Snapshots []json.RawMessage `json:"snapshots"`
}

// batchAnswer says how many snapshots were written; errors stays empty because a batch is all
// or nothing (a bad row fails it with 422).
type batchAnswer struct {
	Written int                      `json:"written"`
	Errors  []experiments.FieldError `json:"errors"`
}

// singleSnapshot is the body of POST /v1/posts/{id}/snapshots: the path names the post.
type singleSnapshot struct {
	ObservedAt string `json:"observed_at"`
	experiments.Metrics
	Custom map[string]float64 `json:"custom"`
}

func (s *Server) createSnapshot(c echo.Context) error {
	var in singleSnapshot
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	written, err := s.svc.AddSnapshots(c.Request().Context(), principal(c), c.Param("post_id"),
		[]experiments.SnapshotInput{withPost(in)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, written[0])
}

// withPost widens a single snapshot to the batch shape (the post comes from the path).
func withPost(in singleSnapshot) experiments.SnapshotInput {
	return experiments.SnapshotInput{ObservedAt: in.ObservedAt, Metrics: in.Metrics, Custom: in.Custom}
}

func (s *Server) batchSnapshots(c echo.Context) error {
	var in batchRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rows, err := decodeRows[experiments.SnapshotInput]("snapshots", in.Snapshots)
	if err != nil {
		return err
	}
	written, err := s.svc.AddSnapshots(c.Request().Context(), principal(c), "", rows)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, batchAnswer{Written: len(written), Errors: []experiments.FieldError{}})
}

func (s *Server) listSnapshots(c echo.Context) error {
	p := principal(c)
	list := "snapshots:" + c.Param("post_id")
	page, err := s.page(c, p, list)
	if err != nil {
		return err
	}
	snaps, err := s.svc.ListSnapshots(c.Request().Context(), p, c.Param("post_id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(s, p, list, page, snaps, func(sn experiments.Snapshot) string {
		return sn.ObservedAt.UTC().Format(time.RFC3339Nano)
	}))
}
