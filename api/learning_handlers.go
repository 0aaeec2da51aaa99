package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/experiments"
)

// searchLearnings lists past conclusions, the most recently concluded first.
func (s *Server) searchLearnings(c echo.Context) error {
	p := principal(c)
	page, err := s.page(c, p, "learnings")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := experiments.LearningFilter{Query: q.Get("q"), Platform: q.Get("platform"), Factor: q.Get("factor"),
		Level: q.Get("level"), Account: q.Get("account"), Page: page}
	list, err := s.svc.SearchLearnings(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(s, p, "learnings", page, list, experiments.Learning.Position))
}
