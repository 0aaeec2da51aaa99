package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// getGrowth answers the growth curves of one count metric (default: the primary metric when
// it is a count, else views).
func (s *Server) getGrowth(c echo.Context) error {
	metric, asked := c.QueryParams()["metric"]
	if asked && metric[0] == "" {
		return badRequest("metric", "must name a count metric, e.g. views; leave it out for the default")
	}
	g, err := s.reports.Growth(c.Request().Context(), principal(c), c.Param("id"), c.QueryParam("metric"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, g)
}
