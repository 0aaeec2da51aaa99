package planning

import (
	"context"
	"time"

	"postlab/experiments"
)

// Service reads experiments through the domain's store, each answer from one transaction.
type Service struct {
	store experiments.Store
	now   func() time.Time
}

// NewService returns a Service on store. now is the clock; nil means time.Now.
func NewService(store experiments.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Now returns the service clock's current time in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// tx runs fn in one store transaction.
func (s *Service) tx(ctx context.Context, fn func(experiments.Tx) error) error {
	return s.store.Tx(ctx, fn)
}
