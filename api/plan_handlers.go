package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"postlab/planning"
)

// planSampleSize answers how many posts an experiment needs; it writes nothing.
func (s *Server) planSampleSize(c echo.Context) error {
	var in planning.SampleSizeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	plan, err := s.plans.PlanSampleSize(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, plan)
}
