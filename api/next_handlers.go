package api

import (
	"math/rand/v2"
	"net/http"

	"github.com/labstack/echo/v4"
)

// getNext answers which variant to post next (Thompson sampling; exploratory).
func (s *Server) getNext(c echo.Context) error {
	next, err := s.reports.Next(c.Request().Context(), principal(c), c.Param("id"), rand.Float64())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, next)
}
