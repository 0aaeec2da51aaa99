package planning

import (
	"time"

	"postlab/experiments"
)

// Service reads experiments through the domain's store, each answer from one transaction.
type Service struct {
	read experiments.Reader
}

// NewService returns a Service on store. now is the clock; nil means time.Now.
func NewService(store experiments.Store, now func() time.Time) *Service {
	return &Service{read: experiments.NewReader(store, now)}
}

// Now returns the service clock's current time in UTC.
func (s *Service) Now() time.Time { return s.read.Now() }
