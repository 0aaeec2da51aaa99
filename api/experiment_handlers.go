package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// etag is an experiment's version as an entity tag.
func etag(e experiments.Experiment) string { return fmt.Sprintf(`"%d"`, e.Version) }

func writeExperiment(c echo.Context, status int, e experiments.Experiment) error {
	c.Response().Header().Set("ETag", etag(e))
	return c.JSON(status, e)
}

func (s *Server) createExperiment(c echo.Context) error {
	var in experiments.ExperimentInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := s.svc.CreateExperiment(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/experiments/"+e.ID)
	return writeExperiment(c, http.StatusCreated, e)
}

func (s *Server) listExperiments(c echo.Context) error {
	p := principal(c)
	page, err := s.page(c, p, "experiments")
	if err != nil {
		return err
	}
	f := experiments.ExperimentFilter{Status: experiments.Status(c.QueryParam("status")),
		Platform: c.QueryParam("platform"), Page: page}
	list, err := s.svc.ListExperiments(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(s, p, "experiments", page, list, func(e experiments.ExperimentListItem) string { return e.ID }))
}

func (s *Server) getExperiment(c echo.Context) error {
	e, err := s.svc.GetExperiment(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeExperiment(c, http.StatusOK, e)
}

func (s *Server) patchExperiment(c echo.Context) error {
	ifMatch, err := parseIfMatch(c.Request().Header.Get("If-Match"))
	if err != nil {
		return err
	}
	var patch experiments.ExperimentPatch
	if err := decodeJSON(c, &patch); err != nil {
		return err
	}
	e, err := s.svc.PatchExperiment(c.Request().Context(), principal(c), c.Param("id"), ifMatch, patch)
	if err != nil {
		return err
	}
	return writeExperiment(c, http.StatusOK, e)
}

// parseIfMatch reads an If-Match header: nil when absent or "*"; an unreadable tag can match
// nothing, so it is answered 412 like a stale one.
func parseIfMatch(h string) (*int, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil {
		return nil, experiments.Errorf(experiments.EPRECONDITION, "If-Match must be the ETag this API gave, e.g. \"3\"")
	}
	return &v, nil
}

func (s *Server) deleteExperiment(c echo.Context) error {
	if err := s.svc.DeleteExperiment(c.Request().Context(), principal(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// transition answers one lifecycle action; conclude reads its body.
func (s *Server) transition(action experiments.Action) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in *experiments.ConcludeInput
		if action == experiments.ActionConclude {
			in = &experiments.ConcludeInput{}
			if err := decodeJSON(c, in); err != nil {
				return err
			}
		}
		e, err := s.svc.Transition(c.Request().Context(), principal(c), c.Param("id"), action, in)
		if err != nil {
			return err
		}
		return writeExperiment(c, http.StatusOK, e)
	}
}
