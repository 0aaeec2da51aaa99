package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
	"postlab/importer"
)

// rowSource adapts an importer.Reader to the domain's ImportSource.
type rowSource struct{ r *importer.Reader }

func (s rowSource) Next() (experiments.ImportRow, error) {
	row, err := s.r.Next()
	var bad *importer.RowError
	var file *importer.FileError
	switch {
	case errors.As(err, &bad):
		f := bad.Failure()
		return row, &f
	case errors.As(err, &file):
		return row, experiments.Invalid(experiments.FieldError{Field: "file", Message: file.Error()})
	case isTooLarge(err):
		return row, echo.ErrStatusRequestEntityTooLarge
	case err != nil && !errors.Is(err, io.EOF):
		// The reader reads nothing but the upload: its failure is a body cut short or malformed.
		return row, uploadError(err)
	}
	return row, err
}

// uploadError answers an upload that could not be read to its end (a truncated multipart
// form, a connection that dropped).
func uploadError(err error) error {
	if slow := tooSlow(err); slow != nil {
		return slow
	}
	if isTooLarge(err) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return badRequest("file", "could not be read to its end: the upload is cut short or malformed")
}

// importFailed is the problem answered when rows failed and nothing was written.
type importFailed struct {
	Problem
	experiments.ImportResult
}

func (s *Server) importFile(c echo.Context) error {
	q := c.QueryParams()
	dryRun, err := boolParam(q.Get("dry_run"), "dry_run")
	if err != nil {
		return err
	}
	partial, err := boolParam(q.Get("partial"), "partial")
	if err != nil {
		return err
	}
	mapping, err := parseMapping(q.Get("mapping"))
	if err != nil {
		return err
	}
	if err := importContentType(c); err != nil {
		return err
	}
	body, formMapping, err := importBody(c)
	if err != nil {
		return err
	}
	if formMapping != nil {
		mapping = *formMapping
	}
	file, err := spoolUpload(body)
	if err != nil {
		return err
	}
	defer file.Close()
	ctx, p := c.Request().Context(), principal(c)
	e, err := s.svc.GetExperiment(ctx, p, c.Param("id"))
	if err != nil {
		return err
	}
	opts, err := readerOptions(c, e)
	if err != nil {
		return err
	}
	reader, err := importer.NewReader(file, opts)
	if err != nil {
		return readerError(err)
	}
	src := &spooledSource{rowSource: rowSource{reader}, file: file, opts: opts}
	res, err := s.svc.Import(ctx, p, e.ID, src, experiments.ImportOptions{
		Format: string(reader.Format()), DryRun: dryRun, Partial: partial, VariantFor: mapping.VariantFor})
	if err != nil {
		return err
	}
	s.metrics.importedRows(res.Written, res.Skipped, res.Failed, dryRun)
	if res.Rejected() {
		detail := fmt.Sprintf("%d of %d rows failed, so nothing was written; fix them, or send ?partial=true to write the rest", res.Failed, res.Rows)
		fields := make([]experiments.FieldError, 0, len(res.Failures))
		for _, f := range res.Failures {
			fields = append(fields, experiments.FieldError{Field: "line " + strconv.Itoa(f.Line), Message: f.Reason})
		}
		b, err := json.Marshal(importFailed{Problem: newProblem(http.StatusUnprocessableEntity, detail, fields), ImportResult: res})
		if err != nil {
			return fmt.Errorf("marshal import problem: %w", err)
		}
		return c.Blob(http.StatusUnprocessableEntity, "application/problem+json", b)
	}
	return c.JSON(http.StatusOK, res)
}

func boolParam(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(name, "must be true or false")
	}
	return b, nil
}

func parseMapping(raw string) (importer.Mapping, error) {
	var m importer.Mapping
	if raw == "" {
		return m, nil
	}
	// encoding/json takes null for "nothing to decode"; the contract asks for an object.
	if strings.TrimSpace(raw) == "null" {
		return m, badRequest("mapping", "must be a JSON object such as {\"variants\": {\"<external_id>\": \"<variant_key>\"}}, not null")
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, badRequest("mapping", "must be JSON like {\"variants\": {\"<external_id>\": \"<variant_key>\"}, \"hashtag_rules\": [{\"hashtag\": \"ForClimate\", \"variant_key\": \"…\"}]}")
	}
	if err := m.Validate(); err != nil {
		return m, experiments.Invalid(experiments.FieldError{Field: "mapping", Message: err.Error()})
	}
	return m, nil
}

// importMediaTypes are the bodies the import takes, as the contract lists them. A body sent
// without a Content-Type is taken as application/octet-stream (RFC 9110 §8.3).
var importMediaTypes = []string{"text/csv", "application/x-ndjson", "application/octet-stream", "multipart/form-data"}

func importContentType(c echo.Context) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !slices.Contains(importMediaTypes, mt) {
		return &requestError{status: http.StatusUnsupportedMediaType,
			detail: "send the file as text/csv, application/x-ndjson, application/octet-stream or multipart/form-data"}
	}
	return nil
}

// importBody finds the file: the raw body, or the "file" part of a multipart form (a
// "mapping" part, when it comes before the file, overrides ?mapping=). The file is streamed,
// never held whole.
func importBody(c echo.Context) (io.Reader, *importer.Mapping, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != "multipart/form-data" {
		return c.Request().Body, nil, nil
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, nil, badRequest("body", "is not a readable multipart form")
	}
	var mapping *importer.Mapping
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, nil, experiments.Invalid(experiments.FieldError{Field: "file", Message: "the form has no file part"})
		}
		if err != nil {
			return nil, nil, readError(err)
		}
		switch part.FormName() {
		case "file":
			return part, mapping, nil
		case "mapping":
			raw, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil {
				return nil, nil, readError(err)
			}
			m, err := parseMapping(string(raw))
			if err != nil {
				return nil, nil, err
			}
			mapping = &m
		}
	}
}

func readerOptions(c echo.Context, e experiments.Experiment) (importer.Options, error) {
	q := c.QueryParams()
	opts := importer.Options{Platform: q.Get("platform"), Account: q.Get("account"), Timezone: q.Get("timezone")}
	// The importer also reads a file's platform cells in any case; the query takes the
	// contract's values exactly.
	if v, ok := q["platform"]; ok && !slices.Contains(experiments.Platforms, v[0]) {
		return opts, badRequest("platform", "must be one of "+strings.Join(experiments.Platforms, ", "))
	}
	if opts.Platform == "" {
		opts.Platform = e.Platform
	}
	if v, ok := q["format"]; ok {
		f, err := importer.ParseFormat(v[0])
		if err != nil || !slices.Contains(importer.Formats, importer.Format(v[0])) { // the contract's exact values only
			return opts, badRequest("format", "must be one of csv, ndjson, tiktok, instagram, facebook")
		}
		opts.Format = f
	}
	if v := q.Get("observed_at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return opts, badRequest("observed_at", "must be an RFC 3339 time, e.g. 2026-09-20T12:00:00Z")
		}
		if err := experiments.CheckTime("observed_at", t); err != nil {
			return opts, err
		}
		opts.ObservedAt = t.Truncate(experiments.Precision)
	}
	return opts, nil
}

func readerError(err error) error {
	var file *importer.FileError
	switch {
	case errors.As(err, &file):
		return experiments.Invalid(experiments.FieldError{Field: "file", Message: file.Error()})
	}
	return uploadError(err)
}
